#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cep/base/result.h"
#include "cep/event.h"
#include "cep/schema.h"
#include "engine/decode/csv_mapping.h"
#include "engine/decode/event_assembler.h"

namespace engine {

// Splits one CSV line into cells (RFC 4180: commas, double-quoted cells with ""
// escapes). Cells borrow from `line`, or from `unquoted` for quoted cells.
// Fails on an unterminated quote.
cep::Status SplitCsvLine(std::string_view line, std::vector<std::string_view>& cells,
                         std::string& unquoted);

// Decodes CSV rows into Events of a schema: each mapped column is read as its
// field's type (cep/value_parse.h; an empty cell is null). Built from the header
// line, so column order is free. Columns mapped to fields the schema lacks are
// skipped (no rule reads them). Threading: one owner.
class CsvEventDecoder {
 public:
  // Fails when the header misses a column the mapping names, or a mapped field
  // or constant cannot be read as its type.
  static cep::Result<CsvEventDecoder> Create(std::shared_ptr<const cep::Schema> schema,
                                             const CsvMapping& mapping,
                                             std::string_view header_line,
                                             AssemblerOptions options = {});

  // Errors name the column and the field.
  cep::Result<cep::Event> Decode(std::string_view line, uint64_t seq);

 private:
  struct Column {
    size_t index;          // cell position in a row
    cep::SlotIndex slot;   // field it fills
    std::string name;      // header name, for errors
  };
  struct Constant {
    cep::SlotIndex slot;
    cep::Value value;      // borrows constant_text_
  };

  CsvEventDecoder(std::shared_ptr<const cep::Schema> schema, AssemblerOptions options);

  EventAssembler assembler_;
  std::vector<Column> columns_;
  std::vector<std::unique_ptr<std::string>> constant_text_;  // stable addresses
  std::vector<Constant> constants_;
  size_t expected_cells_ = 0;
  std::vector<std::string_view> cells_;
  std::string unquoted_;
};

}  // namespace engine
