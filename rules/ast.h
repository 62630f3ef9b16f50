#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cep/base/time.h"
#include "cep/schema.h"
#include "cep/value.h"
#include "rules/diagnostic.h"

namespace rules {

// The syntax tree of a ruleset (DSL.md), as the parser builds it: every node
// carries the SourceSpan of the text it came from. Names are not resolved here;
// the checker (rules/checker.h) fills in the `Resolution` of expressions.
//
// Ownership: a Ruleset owns its whole tree (values and unique_ptrs); it is a
// plain value, movable, not copyable, with no thread affinity.

// An identifier as written, with its position.
struct Ident {
  std::string name;
  SourceSpan span;
};

// A duration literal (`10m`) with its position.
struct DurationLit {
  cep::Duration value;
  SourceSpan span;
};

// ---------------------------------------------------------------- expressions

enum class ExprKind : uint8_t {
  kInt,       // int_value
  kDecimal,   // int_value: micro-units (12.50 -> 12'500'000)
  kString,    // text: the unescaped bytes
  kBool,      // int_value: 0 or 1
  kDuration,  // int_value: milliseconds
  kRegex,     // text: the pattern between the slashes, as written; flags: i, s, m
  kList,      // args: the elements
  kName,      // text: the name; qualifier: "small" in small.amount, "attrs" in attrs.x
  kCall,      // text: the function; args; filter: the aggregate's `where` (may be null)
  kUnary,     // unary_op; args[0]
  kBinary,    // binary_op; args[0], args[1]
  kIsNull,    // args[0] `is null`, or `is not null` when negated
};

enum class UnaryOp : uint8_t { kNeg, kNot };

enum class BinaryOp : uint8_t {
  kOr, kAnd,
  kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn, kMatch, kNotMatch,
  kAdd, kSub, kMul, kDiv, kMod,
};
std::string_view BinaryOpText(BinaryOp op);  // "or", "==", "not in", "~", ...

// What a name or call refers to, filled in by the checker (kUnresolved before).
enum class RefKind : uint8_t {
  kUnresolved,
  kField,        // a schema field of the current event: slot
  kAttr,         // attrs.NAME: a string attribute (the compiler adds a slot per name)
  kConst,        // a `const`: const_index
  kStageField,   // stage.field: stage, slot (value of the stage's last accepted event)
  kStage,        // a bare stage name, as in count(small): stage
  kStageAggregate,   // sum(small.amount), count(small), first(small.ts), ...: stage, slot
  kWindowAggregate,  // count(), sum(amount), ... over a velocity window: slot
  kFunction,     // a scalar function such as lower() or geo_km()
};

// The checker's annotations on an expression node: its type and what it
// refers to. `slot` indexes the checked schema (cep::Schema); `stage` the
// rule's pattern stages.
struct Resolution {
  cep::Type type = cep::Type::kNull;
  RefKind ref = RefKind::kUnresolved;
  cep::SlotIndex slot = 0;
  uint32_t stage = 0;
  uint32_t const_index = 0;
  bool is_list = false;      // a list (or a list const): `type` is its elements' type
  bool is_constant = false;  // a literal, a const, or built from them only
};

// One expression node. A single struct rather than a class per kind keeps the
// walkers (printer, checker, compiler) as one switch each; the comments on
// ExprKind say which members a kind uses.
struct Expr {
  ExprKind kind = ExprKind::kInt;
  SourceSpan span;
  int64_t int_value = 0;
  std::string text;
  std::string qualifier;
  std::string flags;
  UnaryOp unary_op = UnaryOp::kNeg;
  BinaryOp binary_op = BinaryOp::kOr;
  bool negated = false;
  std::vector<std::unique_ptr<Expr>> args;
  std::unique_ptr<Expr> filter;
  // Height of this subtree (a leaf is 1). The parser bounds it
  // (ParseLimits::max_expr_height), so every recursive walk of an AST is bounded.
  uint32_t height = 1;
  Resolution resolved;
};
using ExprPtr = std::unique_ptr<Expr>;

// ---------------------------------------------------------------- patterns

enum class StageOp : uint8_t {
  kBegin, kNext, kFollowedBy, kFollowedByAny, kNotNext, kNotFollowedBy,
};
std::string_view StageOpText(StageOp op);  // "begin", "followed_by", ...

// The quantifier words of one stage, as written (the compiler normalizes
// `times 0..M` to `times 1..M optional`).
struct StageQuantifier {
  enum class Count : uint8_t { kOnce, kTimes, kTimesRange, kOneOrMore, kTimesOrMore };
  Count count = Count::kOnce;
  int64_t min = 1;  // kTimes: N; kTimesRange: N; kTimesOrMore: N
  int64_t max = 1;  // kTimesRange: M
  SourceSpan count_span;
  bool optional = false;
  bool greedy = false;
  bool consecutive = false;
  bool allow_combinations = false;
  SourceSpan modifier_span;  // the last modifier word, for messages

  bool loops() const {
    return count == Count::kOneOrMore || count == Count::kTimesOrMore ||
           (count == Count::kTimes && min > 1) || (count == Count::kTimesRange && max > 1);
  }
};

struct PatternStage {
  StageOp op = StageOp::kBegin;
  Ident name;
  StageQuantifier quantifier;
  ExprPtr where;  // null: every event
  ExprPtr until;  // null: none
  SourceSpan span;
};

struct PatternSpec {
  std::vector<PatternStage> stages;
  std::optional<DurationLit> within;
  SourceSpan span;  // the `pattern` keyword
};

// ---------------------------------------------------------------- rule items

enum class WindowKind : uint8_t { kLast, kSliding, kTumbling, kSession };

struct WindowSpec {
  WindowKind kind = WindowKind::kLast;
  DurationLit size;                  // D of last/sliding/tumbling; the gap of a session
  std::optional<DurationLit> every;  // sliding only
  ExprPtr when;
  SourceSpan span;  // the `window` keyword
};

enum class Severity : uint8_t { kLow, kMedium, kHigh, kCritical };
std::string_view SeverityText(Severity severity);

enum class SkipKind : uint8_t { kNoSkip, kSkipToNext, kSkipPastLastEvent, kSkipToFirst, kSkipToLast };

struct SkipSpec {
  SkipKind kind = SkipKind::kNoSkip;
  Ident stage;  // kSkipToFirst / kSkipToLast
  SourceSpan span;
};

struct KeySpec {
  bool none = false;           // `key none`: one global partition
  std::vector<ExprPtr> fields; // kName nodes: `account_id`, `attrs.device`
  SourceSpan span;
};

struct EmitField {
  Ident name;
  ExprPtr value;
};

enum class Mode : uint8_t { kLive, kShadow };

struct LatePolicy {
  enum class Kind : uint8_t { kDrop, kSideOutput, kAccept };
  Kind kind = Kind::kDrop;
  DurationLit accept;  // kAccept: how far behind the watermark is still accepted
  SourceSpan span;
};

// One `rule NAME { ... }`. Items are optional and given at most once; the
// checker decides which combinations make sense (a pattern or a window).
struct Rule {
  Ident name;
  SourceSpan span;  // the `rule` keyword
  std::optional<KeySpec> key;
  std::optional<Severity> severity;
  SourceSpan severity_span;
  ExprPtr where;
  std::optional<PatternSpec> pattern;
  std::optional<WindowSpec> window;
  std::optional<SkipSpec> skip;
  std::optional<std::vector<EmitField>> emit;
  SourceSpan emit_span;
  bool on_timeout_emit = false;
  SourceSpan on_timeout_span;
  std::optional<DurationLit> suppress;
  std::optional<Mode> mode;
  SourceSpan mode_span;
  std::optional<LatePolicy> late;
  bool unbounded = false;
  SourceSpan unbounded_span;
};

// ---------------------------------------------------------------- top level

struct FieldDecl {
  Ident name;
  cep::Type type = cep::Type::kNull;
  SourceSpan type_span;
};

// `schema transaction` (builtin) or `schema { name: type, ... }`.
struct SchemaDecl {
  bool builtin_transaction = true;
  std::vector<FieldDecl> fields;
  SourceSpan span;
};

// `const NAME = literal` or `const NAME = [literal, ...]`.
struct ConstDecl {
  Ident name;
  ExprPtr value;
  SourceSpan span;
};

struct Ruleset {
  Ident name;
  int64_t version = 0;
  SourceSpan span;  // the `ruleset` keyword
  std::optional<SchemaDecl> schema;  // absent: the built-in transaction schema
  std::vector<ConstDecl> consts;
  std::vector<Rule> rules;
};

// Spelling of a type in the language: "int", "decimal", ... ("null" for kNull).
std::string_view TypeKeyword(cep::Type type);

}  // namespace rules
