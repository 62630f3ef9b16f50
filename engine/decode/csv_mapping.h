#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "cep/base/result.h"

namespace engine {

// How the columns of a CSV file become event fields (`cep replay --csv-map FILE`).
// The file is JSON:
//   {
//     "columns":   {"TRANSACTION_ID": "id", "TX_DATETIME": "ts", "TX_AMOUNT": "amount",
//                   "TX_FRAUD_SCENARIO": null},
//     "constants": {"kind": "purchase"}
//   }
// `columns` maps a header name to a field name; null (or leaving a column out)
// ignores it. `constants` sets a field to the same text on every row, for fields
// the file lacks. Without a mapping file, header names are field names.
struct CsvMapping {
  std::map<std::string, std::optional<std::string>> columns;  // header -> field
  std::map<std::string, std::string> constants;               // field -> text

  static cep::Result<CsvMapping> FromJson(std::string_view json);
  static cep::Result<CsvMapping> Load(const std::string& path);
};

}  // namespace engine
