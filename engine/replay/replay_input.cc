#include "engine/replay/replay_input.h"

#include <fcntl.h>
#include <google/protobuf/io/gzip_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/util/delimited_message_util.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/decode/csv_event_decoder.h"
#include "engine/decode/json_event_decoder.h"
#include "engine/decode/transaction_event_decoder.h"
#include "engine/source/line_reader.h"

namespace engine {
namespace {

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Explicit watermarks change how the whole replay advances time, so they must
// be known before the first event: scan for them once. Cheap next to decoding.
cep::Result<bool> HasWatermarkLines(const std::string& path) {
  if (path == "-") return false;  // cannot read standard input twice
  ASSIGN_OR_RETURN(auto reader, LineReader::Open(path));
  std::string_view line;
  while (reader->Next(line)) {
    if (line.find("\"_watermark\"") != std::string_view::npos) return true;
  }
  return false;
}

// Inputs read line by line (JSONL, CSV): one loop that skips blank lines,
// decodes, and counts and skips what does not decode; each format says only how
// a line becomes a record.
class LineInput : public ReplayInput {
 public:
  bool Next(ReplayRecord& record) final {
    std::string_view line;
    while (reader_->Next(line)) {
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;  // blank
      cep::Status status = DecodeLine(line, record);
      if (!status.ok()) {
        Reject(reader_->line_number(), status.message());
        continue;
      }
      if (record.event) NextSeq();
      return true;
    }
    return false;
  }
  const cep::Status& status() const final { return reader_->status(); }
  uint64_t bytes_read() const final { return reader_->bytes_read(); }

 protected:
  LineInput(std::unique_ptr<LineReader> reader, size_t max_errors)
      : ReplayInput(max_errors), reader_(std::move(reader)) {}
  // Fills `record` (an event numbered events(), or a watermark) from one line.
  virtual cep::Status DecodeLine(std::string_view line, ReplayRecord& record) = 0;

 private:
  std::unique_ptr<LineReader> reader_;
};

class JsonlInput final : public LineInput {
 public:
  JsonlInput(std::unique_ptr<LineReader> reader, std::shared_ptr<const cep::Schema> schema,
             AssemblerOptions assembler, bool explicit_watermarks, size_t max_errors)
      : LineInput(std::move(reader), max_errors),
        decoder_(std::move(schema), std::move(assembler)),
        explicit_watermarks_(explicit_watermarks) {}
  bool has_explicit_watermarks() const override { return explicit_watermarks_; }

 private:
  cep::Status DecodeLine(std::string_view line, ReplayRecord& record) override {
    ASSIGN_OR_RETURN(JsonRecord decoded, decoder_.Decode(line, events()));
    record.watermark = decoded.watermark;
    record.event = std::move(decoded.event);
    return cep::Status::Ok();
  }

  JsonEventDecoder decoder_;
  bool explicit_watermarks_;
};

class CsvInput final : public LineInput {
 public:
  CsvInput(std::unique_ptr<LineReader> reader, CsvEventDecoder decoder, size_t max_errors)
      : LineInput(std::move(reader), max_errors), decoder_(std::move(decoder)) {}
  bool has_explicit_watermarks() const override { return false; }

 private:
  cep::Status DecodeLine(std::string_view line, ReplayRecord& record) override {
    ASSIGN_OR_RETURN(cep::Event event, decoder_.Decode(line, events()));
    record.watermark.reset();
    record.event = std::move(event);
    return cep::Status::Ok();
  }

  CsvEventDecoder decoder_;
};

// Length-delimited cep.v1.Transaction messages (varint size, then bytes), the
// format protobuf's SerializeDelimitedToOstream writes; gzip or plain.
class ProtobufInput final : public ReplayInput {
 public:
  static cep::Result<std::unique_ptr<ReplayInput>> Open(std::shared_ptr<const cep::Schema> schema,
                                                        const std::string& path,
                                                        AssemblerOptions assembler,
                                                        size_t max_errors) {
    const int fd = path == "-" ? dup(STDIN_FILENO) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return cep::NotFound("cannot open '" + path + "': " + std::strerror(errno));
    // Tell gzip from plain by the magic bytes, then rewind (files only).
    unsigned char magic[2] = {0, 0};
    const bool gzip = path != "-" && ::pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f &&
                      magic[1] == 0x8b;
    return std::unique_ptr<ReplayInput>(
        new ProtobufInput(fd, gzip, std::move(schema), std::move(assembler), max_errors));
  }

  bool Next(ReplayRecord& record) override {
    while (status_.ok()) {
      bool clean_eof = false;
      message_.Clear();  // parsing merges into the message: fields must not carry over
      if (!google::protobuf::util::ParseDelimitedFromZeroCopyStream(&message_, stream_, &clean_eof)) {
        if (!clean_eof) status_ = cep::DataLoss("truncated or corrupt protobuf record " +
                                                std::to_string(records_ + 1));
        return false;
      }
      ++records_;
      auto event = decoder_.Decode(message_, events());
      if (!event) {
        Reject(records_, event.error().message());
        continue;
      }
      NextSeq();
      record.watermark.reset();
      record.event = std::move(event).value();
      return true;
    }
    return false;
  }
  const cep::Status& status() const override { return status_; }
  bool has_explicit_watermarks() const override { return false; }
  uint64_t bytes_read() const override { return static_cast<uint64_t>(file_.ByteCount()); }

 private:
  ProtobufInput(int fd, bool gzip, std::shared_ptr<const cep::Schema> schema,
                AssemblerOptions assembler, size_t max_errors)
      : ReplayInput(max_errors), file_(fd), decoder_(std::move(schema), std::move(assembler)) {
    file_.SetCloseOnDelete(true);
    if (gzip) gzip_.emplace(&file_, google::protobuf::io::GzipInputStream::GZIP);
    stream_ = gzip ? static_cast<google::protobuf::io::ZeroCopyInputStream*>(&*gzip_) : &file_;
  }

  google::protobuf::io::FileInputStream file_;
  std::optional<google::protobuf::io::GzipInputStream> gzip_;
  google::protobuf::io::ZeroCopyInputStream* stream_ = nullptr;
  TransactionEventDecoder decoder_;
  cep::v1::Transaction message_;
  uint64_t records_ = 0;
  cep::Status status_;
};

}  // namespace

cep::Result<InputFormat> ParseInputFormat(const std::string& name, const std::string& path) {
  if (name == "jsonl") return InputFormat::kJsonl;
  if (name == "csv") return InputFormat::kCsv;
  if (name == "protobuf") return InputFormat::kProtobuf;
  if (!name.empty()) {
    return cep::InvalidArgument("unknown input format '" + name + "' (expected jsonl, csv, protobuf)");
  }
  std::string_view base = path;
  if (EndsWith(base, ".gz")) base.remove_suffix(3);
  if (EndsWith(base, ".jsonl") || EndsWith(base, ".json") || path == "-") return InputFormat::kJsonl;
  if (EndsWith(base, ".csv")) return InputFormat::kCsv;
  if (EndsWith(base, ".pb") || EndsWith(base, ".bin")) return InputFormat::kProtobuf;
  return cep::InvalidArgument("cannot tell the format of '" + path +
                              "' from its name: pass --format jsonl|csv|protobuf");
}

void ReplayInput::Reject(uint64_t line, std::string reason) {
  ++rejected_;
  if (first_rejects_.size() < max_reported_errors_) first_rejects_.push_back({line, std::move(reason)});
}

cep::Result<std::unique_ptr<ReplayInput>> ReplayInput::Open(
    std::shared_ptr<const cep::Schema> schema, const ReplayInputOptions& options) {
  switch (options.format) {
    case InputFormat::kJsonl: {
      ASSIGN_OR_RETURN(bool explicit_watermarks, HasWatermarkLines(options.path));
      ASSIGN_OR_RETURN(auto reader, LineReader::Open(options.path));
      return std::unique_ptr<ReplayInput>(new JsonlInput(std::move(reader), std::move(schema),
                                                         options.assembler, explicit_watermarks,
                                                         options.max_reported_errors));
    }
    case InputFormat::kCsv: {
      CsvMapping mapping;
      if (!options.csv_map_path.empty()) {
        ASSIGN_OR_RETURN(mapping, CsvMapping::Load(options.csv_map_path));
      }
      ASSIGN_OR_RETURN(auto reader, LineReader::Open(options.path));
      std::string_view header;
      if (!reader->Next(header)) {
        RETURN_IF_ERROR(reader->status());
        return cep::InvalidArgument("'" + options.path + "' is empty: expected a CSV header");
      }
      ASSIGN_OR_RETURN(auto decoder, CsvEventDecoder::Create(std::move(schema), mapping, header,
                                                             options.assembler));
      return std::unique_ptr<ReplayInput>(
          new CsvInput(std::move(reader), std::move(decoder), options.max_reported_errors));
    }
    case InputFormat::kProtobuf:
      return ProtobufInput::Open(std::move(schema), options.path, options.assembler,
                                 options.max_reported_errors);
  }
  return cep::Internal("unknown input format");
}

}  // namespace engine
