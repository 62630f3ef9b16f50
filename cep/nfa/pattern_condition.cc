#include <utility>

#include "cep/nfa/pattern.h"

namespace cep {
namespace {

class FunctionCondition final : public Condition {
 public:
  explicit FunctionCondition(ConditionFn fn) : fn_(std::move(fn)) {}
  bool Matches(const Event& event, const MatchView& match) const override {
    return fn_(event, match);
  }

 private:
  ConditionFn fn_;
};

}  // namespace

std::shared_ptr<const Condition> MakeCondition(ConditionFn fn) {
  return std::make_shared<FunctionCondition>(std::move(fn));
}

}  // namespace cep
