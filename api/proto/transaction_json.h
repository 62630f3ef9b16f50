#pragma once

#include <string>
#include <string_view>

#include "api/proto/transaction.pb.h"
#include "cep/base/result.h"

namespace wire {

// The JSON form of a Transaction: one object, fields by their DSL names
// (DSL.md, "Events"). Decoding accepts what real feeds send:
//   - `ts`: integer milliseconds since the epoch, or an ISO-8601 string;
//   - `amount`: a JSON number or a decimal string, read exactly (at most six
//     decimal places, see cep/base/decimal.h);
//   - string fields (`id`, `account_id`, ...): a string, or an integer written as
//     its decimal text;
//   - `label`: 0/1 or false/true; a null value means the field is absent;
//   - any other top-level scalar lands in `attrs` under its name, as text.
// Every failure names the field and says what was expected; nothing is guessed.
// Thread-safe (no shared state).
cep::Result<cep::v1::Transaction> TransactionFromJson(std::string_view json);

// One compact JSON object, fields in schema order, absent fields omitted; `ts` in
// milliseconds, `amount` as a number (as a string beyond 15 significant digits,
// where a double would round it). TransactionFromJson reads it back to an equal
// message.
std::string TransactionToJson(const cep::v1::Transaction& transaction);

}  // namespace wire
