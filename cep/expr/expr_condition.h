#pragma once

#include <functional>
#include <memory>

#include "cep/base/result.h"
#include "cep/event.h"
#include "cep/expr/eval_context.h"
#include "cep/expr/expr.h"
#include "cep/nfa/pattern.h"

namespace cep {

// Where a condition finds the regex results of the event it is asked about:
// Condition::Matches carries only (event, match view), so the engine supplies
// the bits Hyperscan computed for that event. The returned view must stay valid
// for the duration of the Matches() call. Empty: no regex ever matches.
using RegexLookup = std::function<RegexMatches(const Event&)>;

// Adapts a boolean expression to the NFA's Condition: Matches(event, match) is
// the expression evaluated on `event` with `match` as the partial match (stage
// references), no window aggregates, and a null result counting as false.
//
// Fails with kInvalidArgument unless expr->type() is bool (or null, which is
// always false). The condition is immutable and may be shared across threads;
// each thread evaluates with its own thread-local scratch arena, so Matches()
// allocates nothing once warm.
Result<std::shared_ptr<const Condition>> MakeExprCondition(std::shared_ptr<const Expr> expr,
                                                           RegexLookup regex_lookup = {});

}  // namespace cep
