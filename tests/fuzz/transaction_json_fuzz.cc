// Event bytes arrive from Kafka and HTTP: decoding any input must return a value
// or an error, never crash, and a decoded transaction must survive re-encoding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/proto/alert_json.h"
#include "api/proto/transaction.pb.h"
#include "api/proto/transaction_json.h"
#include "cep/base/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto transaction = wire::TransactionFromJson(text);
  if (transaction.ok()) {
    auto again = wire::TransactionFromJson(wire::TransactionToJson(*transaction));
    CHECK(again.ok(), "re-encoded transaction must decode");
  }
  auto alert = wire::AlertFromJson(text);
  if (alert.ok()) CHECK(wire::AlertFromJson(wire::AlertToJson(*alert)).ok(), "alert re-decode");
  return 0;
}
