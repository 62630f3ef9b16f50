#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cep/base/result.h"
#include "cep/event.h"
#include "cep/schema.h"
#include "engine/decode/event_assembler.h"

namespace engine {

enum class InputFormat { kJsonl, kCsv, kProtobuf };

// "jsonl", "csv" or "protobuf"; or guessed from the file name (.jsonl/.json,
// .csv, .pb/.bin, each optionally .gz) when `name` is empty.
cep::Result<InputFormat> ParseInputFormat(const std::string& name, const std::string& path);

struct ReplayInputOptions {
  std::string path;  // "-" for standard input
  InputFormat format = InputFormat::kJsonl;
  std::string csv_map_path;  // CSV only; empty: header names are field names
  size_t max_reported_errors = 10;
  AssemblerOptions assembler;  // id field and regex scans of the ruleset
};

// One record of replay input, in input order: an event or an explicit watermark.
struct ReplayRecord {
  std::optional<cep::Event> event;
  std::optional<cep::EventTime> watermark;
};

// A rejected record: where it was and why. Rejects never stop a replay.
struct RejectedRecord {
  uint64_t line;  // 1-based line (record number for protobuf input)
  std::string reason;
};

// Reads replay input (INTERFACES.md "Replay"): JSONL with optional `_watermark`
// lines, CSV with a header (and a column map), or length-delimited protobuf
// `cep.v1.Transaction`s; any of them gzip-compressed. Events are numbered 0, 1,
// ... in input order (their seq, and their id when they have none).
// A record that does not decode is counted and skipped; the first few are kept
// with their line numbers for the summary. Threading: one owner.
class ReplayInput {
 public:
  static cep::Result<std::unique_ptr<ReplayInput>> Open(std::shared_ptr<const cep::Schema> schema,
                                                        const ReplayInputOptions& options);
  virtual ~ReplayInput() = default;

  // The next record; false at the end of input or when reading failed (see
  // status()).
  virtual bool Next(ReplayRecord& record) = 0;
  // Ok, or why reading stopped early (I/O error, corrupt gzip).
  virtual const cep::Status& status() const = 0;
  // Whether the input carries explicit watermarks (JSONL `_watermark` lines); if
  // so they alone move the watermark. Known after Open (the input is pre-scanned).
  virtual bool has_explicit_watermarks() const = 0;
  // Compressed bytes consumed so far, for progress.
  virtual uint64_t bytes_read() const = 0;

  uint64_t events() const { return events_; }
  uint64_t rejected() const { return rejected_; }
  const std::vector<RejectedRecord>& first_rejects() const { return first_rejects_; }

 protected:
  explicit ReplayInput(size_t max_reported_errors) : max_reported_errors_(max_reported_errors) {}
  void Reject(uint64_t line, std::string reason);
  uint64_t NextSeq() { return events_++; }

 private:
  size_t max_reported_errors_;
  uint64_t events_ = 0;
  uint64_t rejected_ = 0;
  std::vector<RejectedRecord> first_rejects_;
};

}  // namespace engine
