#include "cep/key_text.h"

#include <charconv>

#include "cep/base/decimal.h"

namespace cep {

bool AppendKeyText(const Value& v, std::string& out) {
  char buf[32];
  const auto append_chars = [&](auto number) {
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, number);
    out.append(buf, end);
  };
  switch (v.type()) {
    case Type::kNull: return false;
    case Type::kString: out.append(v.string_value()); return true;
    case Type::kInt: append_chars(v.int_value()); return true;
    case Type::kDecimal: out += FormatDecimalMicros(v.decimal_micros()); return true;
    case Type::kBool: out += v.bool_value() ? "true" : "false"; return true;
    case Type::kTime: append_chars(v.time_value().millis()); return true;
    case Type::kDuration: append_chars(v.duration_value().millis()); return true;
    case Type::kFloat: append_chars(v.float_value()); return true;
  }
  return false;
}

bool AppendEventKey(const Event& event, std::span<const SlotIndex> slots, std::string& out) {
  for (size_t i = 0; i < slots.size(); ++i) {
    if (i > 0) out += '|';
    if (!AppendKeyText(event.field(slots[i]), out)) return false;
  }
  return true;
}

}  // namespace cep
