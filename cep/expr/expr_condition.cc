#include "cep/expr/expr_condition.h"

#include <string>
#include <utility>

namespace cep {
namespace {

class ExprCondition final : public Condition {
 public:
  ExprCondition(std::shared_ptr<const Expr> expr, RegexLookup regex_lookup)
      : expr_(std::move(expr)), regex_lookup_(std::move(regex_lookup)) {}

  bool Matches(const Event& event, const MatchView& match) const override {
    // One context per thread: the Condition is shared by every key of a rule,
    // possibly across workers, and evaluation needs a scratch arena.
    thread_local EvalContext ctx;
    ctx.event = &event;
    ctx.match = &match;
    ctx.regex = regex_lookup_ ? regex_lookup_(event) : RegexMatches();
    const bool matched = expr_->Test(ctx);
    // Do not keep pointers to the caller's objects past the call.
    ctx.event = nullptr;
    ctx.match = nullptr;
    ctx.regex = RegexMatches();
    return matched;
  }

 private:
  std::shared_ptr<const Expr> expr_;
  RegexLookup regex_lookup_;
};

}  // namespace

Result<std::shared_ptr<const Condition>> MakeExprCondition(std::shared_ptr<const Expr> expr,
                                                           RegexLookup regex_lookup) {
  CHECK(expr != nullptr, "MakeExprCondition needs an expression");
  if (expr->type() != Type::kBool && expr->type() != Type::kNull) {
    return InvalidArgument("a condition must be bool, not " + std::string(TypeName(expr->type())));
  }
  return std::shared_ptr<const Condition>(
      std::make_shared<ExprCondition>(std::move(expr), std::move(regex_lookup)));
}

}  // namespace cep
