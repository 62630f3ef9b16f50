#include "engine/decode/csv_event_decoder.h"

#include "cep/value_parse.h"

namespace engine {

cep::Status SplitCsvLine(std::string_view line, std::vector<std::string_view>& cells,
                         std::string& unquoted) {
  cells.clear();
  unquoted.clear();
  if (line.find('"') == std::string_view::npos) {  // fast path: no quoting at all
    size_t start = 0;
    for (size_t comma; (comma = line.find(',', start)) != std::string_view::npos;
         start = comma + 1) {
      cells.push_back(line.substr(start, comma - start));
    }
    cells.push_back(line.substr(start));
    return cep::Status::Ok();
  }
  // Quoted cells are copied without their quotes into `unquoted`; reserve so
  // views into it stay valid while it grows.
  unquoted.reserve(line.size());
  size_t i = 0;
  while (true) {
    if (i < line.size() && line[i] == '"') {
      const size_t begin = unquoted.size();
      ++i;
      while (true) {
        if (i >= line.size()) return cep::InvalidArgument("unterminated quoted cell");
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            unquoted += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        unquoted += line[i++];
      }
      cells.emplace_back(unquoted.data() + begin, unquoted.size() - begin);
      if (i < line.size() && line[i] != ',') {
        return cep::InvalidArgument("unexpected character after a quoted cell");
      }
    } else {
      const size_t comma = line.find(',', i);
      const size_t end = comma == std::string_view::npos ? line.size() : comma;
      cells.push_back(line.substr(i, end - i));
      i = end;
    }
    if (i >= line.size()) break;
    ++i;  // the comma
    if (i == line.size()) {
      cells.emplace_back();  // a trailing comma ends with an empty cell
      break;
    }
  }
  return cep::Status::Ok();
}

CsvEventDecoder::CsvEventDecoder(std::shared_ptr<const cep::Schema> schema,
                                 AssemblerOptions options)
    : assembler_(std::move(schema), std::move(options)) {}

cep::Result<CsvEventDecoder> CsvEventDecoder::Create(std::shared_ptr<const cep::Schema> schema,
                                                     const CsvMapping& mapping,
                                                     std::string_view header_line,
                                                     AssemblerOptions options) {
  CsvEventDecoder decoder(std::move(schema), std::move(options));
  const cep::Schema& s = decoder.assembler_.schema();
  std::vector<std::string_view> header;
  std::string unquoted;
  RETURN_IF_ERROR(SplitCsvLine(header_line, header, unquoted).WithContext("CSV header"));
  decoder.expected_cells_ = header.size();
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string name(header[i]);
    std::string field = name;
    if (auto it = mapping.columns.find(name); it != mapping.columns.end()) {
      if (!it->second) continue;  // ignored on purpose
      field = *it->second;
    } else if (!mapping.columns.empty()) {
      continue;  // a mapping lists the columns it wants
    }
    if (auto slot = s.Find(field)) decoder.columns_.push_back({i, *slot, name});
  }
  for (const auto& [column, field] : mapping.columns) {
    bool present = false;
    for (std::string_view h : header) present = present || h == column;
    if (!present) return cep::InvalidArgument("CSV header has no column '" + column + "'");
  }
  for (const auto& [field, text] : mapping.constants) {
    const auto slot = s.Find(field);
    if (!slot) continue;
    decoder.constant_text_.push_back(std::make_unique<std::string>(text));
    auto value = cep::ParseValue(s.field(*slot).type, *decoder.constant_text_.back());
    if (!value) return value.error().WithContext("constant '" + field + "'");
    decoder.constants_.push_back({*slot, *value});
  }
  return decoder;
}

cep::Result<cep::Event> CsvEventDecoder::Decode(std::string_view line, uint64_t seq) {
  cep::Status status = SplitCsvLine(line, cells_, unquoted_);
  if (status.ok() && cells_.size() != expected_cells_) {
    status = cep::InvalidArgument("expected " + std::to_string(expected_cells_) + " cells, got " +
                                  std::to_string(cells_.size()));
  }
  const cep::Schema& schema = assembler_.schema();
  for (const Constant& constant : constants_) assembler_.Set(constant.slot, constant.value);
  for (size_t i = 0; i < columns_.size() && status.ok(); ++i) {
    const Column& column = columns_[i];
    const cep::FieldDef& field = schema.field(column.slot);
    auto value = cep::ParseValue(field.type, cells_[column.index]);
    if (!value) {
      status = value.error().WithContext("column '" + column.name + "' (field '" + field.name + "')");
    } else {
      assembler_.Set(column.slot, *value);
    }
  }
  auto event = assembler_.Finish(seq);  // always, so the assembler is reset
  RETURN_IF_ERROR(status);
  return event;
}

}  // namespace engine
