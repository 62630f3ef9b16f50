#pragma once

// Shared helpers for tests of cep/expr: a fixture that builds expressions with
// short calls, evaluates them against one event, and compares Values exactly.

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cep/base/decimal.h"
#include "cep/event.h"
#include "cep/expr/eval_context.h"
#include "cep/expr/expr.h"
#include "cep/expr/expr_builder.h"
#include "cep/match_view.h"

namespace cep::testing_util {

inline std::string Show(const Value& v) {
  switch (v.type()) {
    case Type::kNull: return "null";
    case Type::kBool: return v.bool_value() ? "true" : "false";
    case Type::kInt: return "int " + std::to_string(v.int_value());
    case Type::kFloat: return "float " + std::to_string(v.float_value());
    case Type::kDecimal: return "decimal " + FormatDecimalMicros(v.decimal_micros());
    case Type::kString: return "string \"" + std::string(v.string_value()) + "\"";
    case Type::kTime: return "time " + std::to_string(v.time_value().millis());
    case Type::kDuration: return "duration " + std::to_string(v.duration_value().millis());
  }
  return "?";
}

inline ::testing::AssertionResult Same(const Value& actual, const Value& expected) {
  if (actual.SameAs(expected)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got " << Show(actual) << ", want " << Show(expected);
}

inline Value Dec(std::string_view text) { return Value::Decimal(ParseDecimalMicros(text).value()); }

// Events of a partial match by stage, for conditions over earlier stages.
class FakeMatchView final : public MatchView {
 public:
  void Add(StageIndex stage, std::shared_ptr<const Event> event) {
    stages_[stage].push_back(std::move(event));
  }
  void ForEachEvent(StageIndex stage, FunctionRef<void(const Event&)> fn) const override {
    auto it = stages_.find(stage);
    if (it == stages_.end()) return;
    for (const auto& e : it->second) fn(*e);
  }

 private:
  std::map<StageIndex, std::vector<std::shared_ptr<const Event>>> stages_;
};

// Slots of the test schema.
inline constexpr SlotIndex kAmount = 0;    // decimal
inline constexpr SlotIndex kMcc = 1;       // int
inline constexpr SlotIndex kMerchant = 2;  // string
inline constexpr SlotIndex kTs = 3;        // time
inline constexpr SlotIndex kLat = 4;       // float
inline constexpr SlotIndex kFlag = 5;      // bool
inline constexpr SlotIndex kGap = 6;       // duration
inline constexpr SlotIndex kMissing = 7;   // never set: null
inline constexpr size_t kFieldCount = 8;

class ExprTest : public ::testing::Test {
 protected:
  ExprId L(const Value& v) { return b_.Literal(v); }
  ExprId I(int64_t i) { return L(Value::Int(i)); }
  ExprId D(std::string_view text) { return L(Dec(text)); }
  ExprId F(double f) { return L(Value::Float(f)); }
  ExprId S(std::string_view s) { return L(Value::String(s)); }
  ExprId B(bool v) { return L(Value::Bool(v)); }
  ExprId N() { return L(Value::Null()); }
  ExprId T(int64_t ms) { return L(Value::Time(EventTime::FromMillis(ms))); }
  ExprId Du(int64_t ms) { return L(Value::Dur(Duration::Millis(ms))); }
  ExprId Fld(SlotIndex slot, Type type) { return b_.Field(slot, type); }

  // Unwraps a builder result; a failure is a test failure (and a null literal).
  ExprId Ok(Result<ExprId> r) {
    if (!r.ok()) {
      ADD_FAILURE() << r.error().ToString();
      return N();
    }
    return *r;
  }
  ExprId Bin(BinaryOp op, ExprId a, ExprId c) { return Ok(b_.Binary(op, a, c)); }
  ExprId Call(Function fn, std::vector<ExprId> args) { return Ok(b_.Call(fn, args)); }

  // Builds and evaluates against event_ (if set), match_ and aggregates_. The
  // expression is kept alive so string results stay valid.
  Value Eval(ExprId root) {
    auto expr = b_.Build(root);
    if (!expr.ok()) {
      ADD_FAILURE() << expr.error().ToString();
      return Value::Null();
    }
    exprs_.push_back(*expr);
    ctx_.event = event_.get();
    ctx_.match = &match_;
    ctx_.aggregates = aggregates_;
    return exprs_.back()->Evaluate(ctx_);
  }

  static std::shared_ptr<const Event> MakeEvent(const std::vector<std::pair<SlotIndex, Value>>& fields,
                                                int64_t ts_ms = 0) {
    EventBuilder eb(kFieldCount);
    eb.SetTs(EventTime::FromMillis(ts_ms)).SetId("e");
    for (const auto& [slot, v] : fields) eb.Set(slot, v);
    return std::make_shared<const Event>(eb.Build());
  }

  ExprBuilder b_;
  EvalContext ctx_;
  FakeMatchView match_;
  std::vector<Value> aggregates_;
  std::shared_ptr<const Event> event_;
  std::vector<std::shared_ptr<const Expr>> exprs_;
};

}  // namespace cep::testing_util
