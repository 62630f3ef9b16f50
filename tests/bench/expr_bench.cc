// Expression evaluation on the per-event path: the `where` conditions of the
// rules in DSL.md, evaluated on one transaction (ns per evaluation).

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "cep/base/decimal.h"
#include "cep/event.h"
#include "cep/expr/expr.h"
#include "cep/expr/expr_builder.h"
#include "cep/expr/expr_condition.h"
#include "cep/schema.h"

namespace cep {
namespace {

Value Dec(std::string_view text) { return Value::Decimal(ParseDecimalMicros(text).value()); }

struct Fixture {
  Schema schema = Schema::Transaction();
  SlotIndex Slot(std::string_view name) const { return *schema.Find(name); }
  ExprId Field(ExprBuilder& b, std::string_view name) const {
    return b.Field(Slot(name), schema.field(Slot(name)).type);
  }
  Event MakeTransaction(std::string_view amount, int64_t mcc) const {
    EventBuilder eb(schema.size());
    eb.SetId("t1").SetTs(EventTime::FromMillis(1'700'000'000'123));
    eb.Set(Slot("amount"), Dec(amount)).Set(Slot("mcc"), Value::Int(mcc));
    eb.Set(Slot("merchant"), Value::String("Lucky Casino Malta"));
    eb.Set(Slot("kind"), Value::String("login"));
    eb.Set(Slot("country"), Value::String("MT")).Set(Slot("home_country"), Value::String("DE"));
    eb.Set(Slot("lat"), Value::Float(35.9)).Set(Slot("lon"), Value::Float(14.5));
    eb.Set(Slot("ts"), Value::Time(EventTime::FromMillis(1'700'000'000'123)));
    return eb.Build();
  }
};

void RunExpr(benchmark::State& state, const Expr& expr, const Event& event,
             const MatchView* match = nullptr) {
  EvalContext ctx;
  ctx.event = &event;
  ctx.match = match;
  for (auto _ : state) benchmark::DoNotOptimize(expr.Test(ctx));
  state.SetItemsProcessed(state.iterations());
}

// `amount < 5.00 and mcc in HIGH_RISK_MCC` (three codes, linear scan).
std::shared_ptr<const Expr> SmallAndRiskyMcc(const Fixture& f, size_t list_size) {
  ExprBuilder b;
  std::vector<Value> mccs = {Value::Int(7995), Value::Int(6051), Value::Int(4829)};
  for (size_t i = mccs.size(); i < list_size; ++i) mccs.push_back(Value::Int(static_cast<int64_t>(10'000 + i)));
  const ExprId small = *b.Binary(BinaryOp::kLt, f.Field(b, "amount"), b.Literal(Dec("5.00")));
  const ExprId risky = *b.In(f.Field(b, "mcc"), mccs);
  return *b.Build(*b.Binary(BinaryOp::kAnd, small, risky));
}

void BM_SmallAmountAndMccIn3(benchmark::State& state) {
  Fixture f;
  const Event event = f.MakeTransaction("4.99", 6051);
  RunExpr(state, *SmallAndRiskyMcc(f, 3), event);
}
BENCHMARK(BM_SmallAmountAndMccIn3);

void BM_SmallAmountAndMccIn500(benchmark::State& state) {
  Fixture f;
  const Event event = f.MakeTransaction("4.99", 6051);
  RunExpr(state, *SmallAndRiskyMcc(f, 500), event);
}
BENCHMARK(BM_SmallAmountAndMccIn500);

// The same, through the NFA's Condition interface (virtual call, thread-local context).
void BM_SmallAmountAndMccIn3AsCondition(benchmark::State& state) {
  Fixture f;
  const Event event = f.MakeTransaction("4.99", 6051);
  auto condition = *MakeExprCondition(SmallAndRiskyMcc(f, 3));
  struct NoMatch final : MatchView {
    void ForEachEvent(StageIndex, FunctionRef<void(const Event&)>) const override {}
  } match;
  for (auto _ : state) benchmark::DoNotOptimize(condition->Matches(event, match));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SmallAmountAndMccIn3AsCondition);

// `kind == "login" and country != home_country`
void BM_ForeignLogin(benchmark::State& state) {
  Fixture f;
  ExprBuilder b;
  const ExprId login = *b.Binary(BinaryOp::kEq, f.Field(b, "kind"), b.Literal(Value::String("login")));
  const ExprId foreign = *b.Binary(BinaryOp::kNe, f.Field(b, "country"), f.Field(b, "home_country"));
  auto expr = *b.Build(*b.Binary(BinaryOp::kAnd, login, foreign));
  const Event event = f.MakeTransaction("10", 1);
  RunExpr(state, *expr, event);
}
BENCHMARK(BM_ForeignLogin);

// `contains(lower(merchant), "casino")`: a string function on the scratch arena.
void BM_LowerMerchantContains(benchmark::State& state) {
  Fixture f;
  ExprBuilder b;
  const ExprId lower = *b.Call(Function::kLower, std::vector<ExprId>{f.Field(b, "merchant")});
  auto expr = *b.Build(*b.Call(Function::kContains,
                               std::vector<ExprId>{lower, b.Literal(Value::String("casino"))}));
  const Event event = f.MakeTransaction("10", 1);
  RunExpr(state, *expr, event);
}
BENCHMARK(BM_LowerMerchantContains);

// `geo_km(lat, lon, 52.52, 13.40) > 1000 and hour_of_day(ts) < 6`
void BM_FarAwayAtNight(benchmark::State& state) {
  Fixture f;
  ExprBuilder b;
  const ExprId km = *b.Call(Function::kGeoKm,
                            std::vector<ExprId>{f.Field(b, "lat"), f.Field(b, "lon"),
                                                b.Literal(Value::Float(52.52)), b.Literal(Value::Float(13.40))});
  const ExprId far = *b.Binary(BinaryOp::kGt, km, b.Literal(Value::Int(1000)));
  const ExprId hour = *b.Call(Function::kHourOfDay, std::vector<ExprId>{f.Field(b, "ts")});
  const ExprId night = *b.Binary(BinaryOp::kLt, hour, b.Literal(Value::Int(6)));
  auto expr = *b.Build(*b.Binary(BinaryOp::kAnd, far, night));
  const Event event = f.MakeTransaction("10", 1);
  RunExpr(state, *expr, event);
}
BENCHMARK(BM_FarAwayAtNight);

// `amount > 10 * small.amount and sum(small.amount) < 15` with `small` holding
// three events (a loop stage of `times 3`).
void BM_LargeAfterThreeSmall(benchmark::State& state) {
  Fixture f;
  std::vector<Event> small;
  for (const char* amount : {"1.00", "2.50", "4.99"}) small.push_back(f.MakeTransaction(amount, 1));
  struct View final : MatchView {
    const std::vector<Event>* events = nullptr;
    void ForEachEvent(StageIndex stage, FunctionRef<void(const Event&)> fn) const override {
      if (stage != 0) return;
      for (const Event& e : *events) fn(e);
    }
  } view;
  view.events = &small;
  ExprBuilder b;
  const SlotIndex amount = f.Slot("amount");
  const ExprId ten_x = *b.Binary(BinaryOp::kMul, b.Literal(Value::Int(10)),
                                 b.StageField(0, amount, Type::kDecimal));
  const ExprId large = *b.Binary(BinaryOp::kGt, f.Field(b, "amount"), ten_x);
  const ExprId sum = *b.StageAggregate(StageAggregateFn::kSum, 0, amount, Type::kDecimal);
  const ExprId cheap = *b.Binary(BinaryOp::kLt, sum, b.Literal(Dec("15")));
  auto expr = *b.Build(*b.Binary(BinaryOp::kAnd, large, cheap));
  const Event event = f.MakeTransaction("912.50", 7995);
  RunExpr(state, *expr, event, &view);
}
BENCHMARK(BM_LargeAfterThreeSmall);

}  // namespace
}  // namespace cep
