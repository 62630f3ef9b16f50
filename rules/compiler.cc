#include "rules/compiler.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "cep/expr/expr_builder.h"
#include "cep/expr/expr_condition.h"
#include "cep/regex_bits.h"
#include "rules/printer.h"

namespace rules {
namespace {

using cep::ExprBuilder;
using cep::ExprId;

constexpr size_t kRegexesPerWord = 64;

struct RegexField {
  cep::SlotIndex field;
  std::vector<RegexSpec> specs;
  std::vector<SourceSpan> spans;  // where each spec was written
};

// Walks every expression of a ruleset, depth-first (heights are bounded by the parser).
template <typename Fn>
void VisitExprs(const Expr* expr, Fn& fn) {
  if (expr == nullptr) return;
  fn(*expr);
  for (const auto& arg : expr->args) VisitExprs(arg.get(), fn);
  VisitExprs(expr->filter.get(), fn);
}

template <typename Fn>
void VisitRuleExprs(const Rule& rule, Fn& fn) {
  VisitExprs(rule.where.get(), fn);
  if (rule.pattern) {
    for (const PatternStage& stage : rule.pattern->stages) {
      VisitExprs(stage.where.get(), fn);
      VisitExprs(stage.until.get(), fn);
    }
  }
  if (rule.window) VisitExprs(rule.window->when.get(), fn);
  if (rule.emit) {
    for (const EmitField& field : *rule.emit) VisitExprs(field.value.get(), fn);
  }
}

// The compilation of one checked ruleset: lowers expressions, patterns and
// windows onto cep/ structures, collecting diagnostics instead of stopping.
class Compiler {
 public:
  Compiler(CheckedRuleset& checked, const CompileOptions& options)
      : ast_(checked.ast), schema_(std::move(checked.schema)), options_(options) {}

  cep::Result<CompiledRuleset, std::vector<Diagnostic>> Run();

 private:
  void CollectRegexes();
  void CompileRegexes(CompiledRuleset& out);
  std::optional<cep::Rule> CompileRule(const Rule& rule);
  // What every rule's fingerprint hashes besides its own text and the consts it
  // uses (cep::Rule::fingerprint).
  std::string FingerprintContext() const;
  std::string UsedConsts(const std::string& rule_text) const;
  bool CompilePattern(const Rule& rule, cep::Rule& out);
  bool CompileWindow(const Rule& rule, cep::Rule& out);
  std::shared_ptr<const cep::Expr> Build(const Expr& expr);
  std::optional<ExprId> Lower(const Expr& expr);
  std::optional<ExprId> LowerName(const Expr& expr);
  std::optional<ExprId> LowerCall(const Expr& expr);
  std::optional<ExprId> LowerBinary(const Expr& expr);
  std::optional<std::vector<cep::Value>> ConstantList(const Expr& expr);
  std::shared_ptr<const cep::Condition> MakeCondition(const Expr* expr);
  std::optional<ExprId> Check(cep::Result<ExprId> id, const SourceSpan& span);
  void Error(const SourceSpan& span, std::string message) {
    diagnostics_.push_back({span, std::move(message)});
  }

  const Ruleset& ast_;
  cep::Schema schema_;
  const CompileOptions& options_;
  std::vector<Diagnostic> diagnostics_;
  std::vector<RegexField> regex_fields_;
  std::string fingerprint_context_;
  std::map<std::pair<cep::SlotIndex, std::string>, uint32_t> regex_ids_;  // (field, flags+/pattern)
  cep::RegexSlots regex_slots_;
  ExprBuilder builder_;
  // Window aggregates of the rule being compiled, by their printed form.
  std::map<std::string, uint32_t> aggregate_index_;
  std::vector<cep::AggregateSpec> aggregate_specs_;
  std::vector<cep::WindowBody::Input> aggregate_inputs_;
};

void Compiler::CollectRegexes() {
  auto visit = [&](const Expr& e) {
    if (e.kind != ExprKind::kBinary ||
        (e.binary_op != BinaryOp::kMatch && e.binary_op != BinaryOp::kNotMatch)) {
      return;
    }
    const Expr& field = *e.args[0];
    const Expr& regex = *e.args[1];
    if (regex.kind != ExprKind::kRegex) return;  // the checker reported it
    const cep::SlotIndex slot = field.resolved.slot;
    const std::string key = regex.flags + "/" + regex.text;
    if (regex_ids_.count({slot, key})) return;
    size_t index = 0;
    while (index < regex_fields_.size() && regex_fields_[index].field != slot) ++index;
    if (index == regex_fields_.size()) regex_fields_.push_back({slot, {}, {}});
    RegexField& group = regex_fields_[index];
    if (group.specs.size() == kRegexesPerWord) {
      Error(regex.span, "a ruleset may test one field with at most 64 different regexes");
      return;
    }
    regex_ids_[{slot, key}] =
        static_cast<uint32_t>(index * kRegexesPerWord + group.specs.size());
    group.specs.push_back({regex.text, regex.flags});
    group.spans.push_back(regex.span);
  };
  for (const Rule& rule : ast_.rules) VisitRuleExprs(rule, visit);
}

void Compiler::CompileRegexes(CompiledRuleset& out) {
  for (const RegexField& group : regex_fields_) {
    const std::string name = "__regex." + schema_.field(group.field).name;
    auto bits_slot = schema_.Add(name, cep::Type::kInt);
    if (!bits_slot) {
      Error(group.spans[0], bits_slot.error().message());
      continue;
    }
    regex_slots_.words.push_back(*bits_slot);
    auto set = RegexSet::Compile(group.specs, options_.regex);
    if (!set) {
      for (const RegexError& error : set.error()) Error(group.spans[error.index], error.message);
      continue;
    }
    out.regexes.push_back({group.field, *bits_slot, std::move(set).value()});
  }
}

std::optional<ExprId> Compiler::Check(cep::Result<ExprId> id, const SourceSpan& span) {
  if (!id) {
    Error(span, id.error().message());
    return std::nullopt;
  }
  return *id;
}

std::optional<std::vector<cep::Value>> Compiler::ConstantList(const Expr& expr) {
  const Expr* list = &expr;
  if (expr.kind == ExprKind::kName && expr.resolved.ref == RefKind::kConst) {
    list = ast_.consts[expr.resolved.const_index].value.get();
  }
  if (list->kind != ExprKind::kList) {
    Error(expr.span, "expected a list of constants after 'in'");
    return std::nullopt;
  }
  std::vector<cep::Value> values;
  for (const auto& element : list->args) {
    switch (element->kind) {
      case ExprKind::kInt: values.push_back(cep::Value::Int(element->int_value)); break;
      case ExprKind::kDecimal: values.push_back(cep::Value::Decimal(element->int_value)); break;
      case ExprKind::kBool: values.push_back(cep::Value::Bool(element->int_value != 0)); break;
      case ExprKind::kDuration:
        values.push_back(cep::Value::Dur(cep::Duration::Millis(element->int_value)));
        break;
      case ExprKind::kString: values.push_back(cep::Value::String(element->text)); break;
      default: Error(element->span, "list elements must be literals"); return std::nullopt;
    }
  }
  return values;
}

std::optional<ExprId> Compiler::LowerName(const Expr& expr) {
  const Resolution& r = expr.resolved;
  switch (r.ref) {
    case RefKind::kField:
      return builder_.Field(r.slot, r.type);
    case RefKind::kAttr: {
      auto slot = schema_.Find("attrs." + expr.text);
      if (!slot) {
        Error(expr.span, "internal: no slot for attrs." + expr.text);
        return std::nullopt;
      }
      return builder_.Field(*slot, cep::Type::kString);
    }
    case RefKind::kConst:
      return Lower(*ast_.consts[r.const_index].value);
    case RefKind::kStageField:
      return builder_.StageField(static_cast<cep::StageIndex>(r.stage), r.slot, r.type);
    default:
      Error(expr.span, "'" + expr.text + "' cannot be used as a value here");
      return std::nullopt;
  }
}

std::optional<ExprId> Compiler::LowerCall(const Expr& expr) {
  const Resolution& r = expr.resolved;
  if (r.ref == RefKind::kStageAggregate) {
    const auto stage = static_cast<cep::StageIndex>(r.stage);
    if (expr.text == "count") return builder_.StageCount(stage);
    static const std::map<std::string, cep::StageAggregateFn> kFns = {
        {"sum", cep::StageAggregateFn::kSum},     {"avg", cep::StageAggregateFn::kAvg},
        {"min", cep::StageAggregateFn::kMin},     {"max", cep::StageAggregateFn::kMax},
        {"first", cep::StageAggregateFn::kFirst}, {"last", cep::StageAggregateFn::kLast}};
    auto fn = kFns.find(expr.text);
    if (fn == kFns.end()) {
      Error(expr.span, "'" + expr.text + "' is not an aggregate over a stage");
      return std::nullopt;
    }
    return Check(builder_.StageAggregate(fn->second, stage, r.slot, schema_.field(r.slot).type),
                 expr.span);
  }
  if (r.ref == RefKind::kWindowAggregate) {
    // One input per distinct aggregate of the rule: the same text, the same index.
    const std::string text = PrintExpr(expr);
    auto [it, added] = aggregate_index_.try_emplace(text, static_cast<uint32_t>(aggregate_specs_.size()));
    if (added) {
      static const std::map<std::string, cep::AggregateFunction> kFns = {
          {"count", cep::AggregateFunction::kCount},
          {"sum", cep::AggregateFunction::kSum},
          {"avg", cep::AggregateFunction::kAvg},
          {"min", cep::AggregateFunction::kMin},
          {"max", cep::AggregateFunction::kMax},
          {"count_distinct", cep::AggregateFunction::kCountDistinct}};
      auto fn = kFns.find(expr.text);
      if (fn == kFns.end()) {
        Error(expr.span, "'" + expr.text + "' is not a window aggregate");
        return std::nullopt;
      }
      cep::AggregateSpec spec{fn->second, cep::Type::kNull, expr.filter != nullptr};
      cep::WindowBody::Input input{nullptr, nullptr, text};
      if (!expr.args.empty()) {
        input.value = Build(*expr.args[0]);
        if (!input.value) return std::nullopt;
        spec.value_type = input.value->type();
      }
      if (expr.filter) {
        input.filter = Build(*expr.filter);
        if (!input.filter) return std::nullopt;
      }
      aggregate_specs_.push_back(spec);
      aggregate_inputs_.push_back(std::move(input));
    }
    return builder_.WindowAggregate(it->second, r.type);
  }
  static const std::map<std::string, cep::Function> kFunctions = {
      {"abs", cep::Function::kAbs},
      {"lower", cep::Function::kLower},
      {"upper", cep::Function::kUpper},
      {"len", cep::Function::kLen},
      {"starts_with", cep::Function::kStartsWith},
      {"ends_with", cep::Function::kEndsWith},
      {"contains", cep::Function::kContains},
      {"geo_km", cep::Function::kGeoKm},
      {"hour_of_day", cep::Function::kHourOfDay},
      {"day_of_week", cep::Function::kDayOfWeek}};
  auto fn = kFunctions.find(expr.text);
  if (fn == kFunctions.end()) {
    Error(expr.span, "unknown function '" + expr.text + "'");
    return std::nullopt;
  }
  std::vector<ExprId> args;
  for (const auto& arg : expr.args) {
    auto id = Lower(*arg);
    if (!id) return std::nullopt;
    args.push_back(*id);
  }
  return Check(builder_.Call(fn->second, args), expr.span);
}

std::optional<ExprId> Compiler::LowerBinary(const Expr& expr) {
  const BinaryOp op = expr.binary_op;
  auto lhs = Lower(*expr.args[0]);
  if (!lhs) return std::nullopt;
  if (op == BinaryOp::kIn || op == BinaryOp::kNotIn) {
    auto values = ConstantList(*expr.args[1]);
    if (!values) return std::nullopt;
    return Check(builder_.In(*lhs, *values, op == BinaryOp::kNotIn), expr.span);
  }
  if (op == BinaryOp::kMatch || op == BinaryOp::kNotMatch) {
    const Expr& regex = *expr.args[1];
    auto id = regex_ids_.find({expr.args[0]->resolved.slot, regex.flags + "/" + regex.text});
    if (id == regex_ids_.end()) return std::nullopt;  // reported while collecting
    return Check(builder_.Regex(*lhs, id->second, op == BinaryOp::kNotMatch), expr.span);
  }
  auto rhs = Lower(*expr.args[1]);
  if (!rhs) return std::nullopt;
  static const std::map<BinaryOp, cep::BinaryOp> kOps = {
      {BinaryOp::kOr, cep::BinaryOp::kOr},   {BinaryOp::kAnd, cep::BinaryOp::kAnd},
      {BinaryOp::kEq, cep::BinaryOp::kEq},   {BinaryOp::kNe, cep::BinaryOp::kNe},
      {BinaryOp::kLt, cep::BinaryOp::kLt},   {BinaryOp::kLe, cep::BinaryOp::kLe},
      {BinaryOp::kGt, cep::BinaryOp::kGt},   {BinaryOp::kGe, cep::BinaryOp::kGe},
      {BinaryOp::kAdd, cep::BinaryOp::kAdd}, {BinaryOp::kSub, cep::BinaryOp::kSub},
      {BinaryOp::kMul, cep::BinaryOp::kMul}, {BinaryOp::kDiv, cep::BinaryOp::kDiv},
      {BinaryOp::kMod, cep::BinaryOp::kMod}};
  return Check(builder_.Binary(kOps.at(op), *lhs, *rhs), expr.span);
}

std::optional<ExprId> Compiler::Lower(const Expr& expr) {
  switch (expr.kind) {
    case ExprKind::kInt: return builder_.Literal(cep::Value::Int(expr.int_value));
    case ExprKind::kDecimal: return builder_.Literal(cep::Value::Decimal(expr.int_value));
    case ExprKind::kString: return builder_.Literal(cep::Value::String(expr.text));
    case ExprKind::kBool: return builder_.Literal(cep::Value::Bool(expr.int_value != 0));
    case ExprKind::kDuration:
      return builder_.Literal(cep::Value::Dur(cep::Duration::Millis(expr.int_value)));
    case ExprKind::kName: return LowerName(expr);
    case ExprKind::kCall: return LowerCall(expr);
    case ExprKind::kBinary: return LowerBinary(expr);
    case ExprKind::kUnary: {
      auto operand = Lower(*expr.args[0]);
      if (!operand) return std::nullopt;
      return Check(builder_.Unary(expr.unary_op == UnaryOp::kNot ? cep::UnaryOp::kNot
                                                                 : cep::UnaryOp::kNegate,
                                  *operand),
                   expr.span);
    }
    case ExprKind::kIsNull: {
      auto operand = Lower(*expr.args[0]);
      if (!operand) return std::nullopt;
      return builder_.IsNull(*operand, expr.negated);
    }
    case ExprKind::kRegex:
    case ExprKind::kList:
      Error(expr.span, "a regex or list can only follow ~ or in");
      return std::nullopt;
  }
  return std::nullopt;
}

std::shared_ptr<const cep::Expr> Compiler::Build(const Expr& expr) {
  auto id = Lower(expr);
  if (!id) return nullptr;
  auto built = builder_.Build(*id);
  if (!built) {
    Error(expr.span, built.error().message());
    return nullptr;
  }
  return std::move(built).value();
}

std::shared_ptr<const cep::Condition> Compiler::MakeCondition(const Expr* expr) {
  if (expr == nullptr) return nullptr;
  auto built = Build(*expr);
  if (!built) return nullptr;
  // Conditions see only (event, match): the regex bits come from the event's
  // hidden slots, which the engine filled when it decoded the event.
  cep::RegexLookup lookup;
  if (!regex_slots_.words.empty()) {
    lookup = [slots = regex_slots_](const cep::Event& event) {
      thread_local std::vector<uint64_t> words;
      return cep::ReadRegexMatches(event, slots, words);
    };
  }
  auto condition = cep::MakeExprCondition(std::move(built), std::move(lookup));
  if (!condition) {
    Error(expr->span, condition.error().message());
    return nullptr;
  }
  return std::move(condition).value();
}

cep::Quantifier ToQuantifier(const StageQuantifier& q) {
  cep::Quantifier out;
  switch (q.count) {
    case StageQuantifier::Count::kOnce: out.min = out.max = 1; break;
    case StageQuantifier::Count::kTimes:
      out.min = out.max = static_cast<uint32_t>(q.min);
      break;
    case StageQuantifier::Count::kTimesRange:
      out.min = static_cast<uint32_t>(q.min);
      out.max = static_cast<uint32_t>(q.max);
      break;
    case StageQuantifier::Count::kOneOrMore:
      out.min = 1;
      out.max = cep::kUnboundedTimes;
      break;
    case StageQuantifier::Count::kTimesOrMore:
      out.min = static_cast<uint32_t>(q.min);
      out.max = cep::kUnboundedTimes;
      break;
  }
  out.optional = q.optional;
  if (out.min == 0) {  // `times 0..M` is `times 1..M optional` (DSL.md)
    out.min = 1;
    out.optional = true;
  }
  out.greedy = q.greedy;
  out.inner = q.consecutive          ? cep::Contiguity::kStrict
              : q.allow_combinations ? cep::Contiguity::kNonDeterministic
                                     : cep::Contiguity::kRelaxed;
  return out;
}

// The fields one condition compares, as (stage, slot): names of the current
// event count for `stage`, `other.field` for `other`. Aggregates over a stage
// (`sum(small.amount)`) and consts are not single values of an event: skipped.
void AddComparedFields(const Expr* expr, uint32_t stage,
                       std::vector<std::vector<cep::SlotIndex>>& by_stage) {
  if (expr == nullptr) return;
  const Resolution& r = expr->resolved;
  if (expr->kind == ExprKind::kCall && r.ref == RefKind::kStageAggregate) return;
  if (expr->kind == ExprKind::kName) {
    uint32_t owner = stage;
    if (r.ref == RefKind::kStageField) {
      owner = r.stage;
    } else if (r.ref != RefKind::kField && r.ref != RefKind::kAttr) {
      return;
    }
    if (owner >= by_stage.size()) return;
    std::vector<cep::SlotIndex>& slots = by_stage[owner];
    if (std::find(slots.begin(), slots.end(), r.slot) == slots.end()) slots.push_back(r.slot);
    return;
  }
  for (const auto& arg : expr->args) AddComparedFields(arg.get(), stage, by_stage);
  AddComparedFields(expr->filter.get(), stage, by_stage);
}

// PatternBody::compared_fields of a rule without `emit`: per positive stage, the
// fields of its `where`, then those of the rule's `where`, by first appearance.
std::vector<cep::PatternBody::ComparedField> ComparedFields(const Rule& rule,
                                                            const cep::Schema& schema) {
  const std::vector<PatternStage>& stages = rule.pattern->stages;
  std::vector<std::vector<cep::SlotIndex>> by_stage(stages.size());
  for (uint32_t i = 0; i < stages.size(); ++i) {
    if (stages[i].op == StageOp::kNotNext || stages[i].op == StageOp::kNotFollowedBy) continue;
    AddComparedFields(stages[i].where.get(), i, by_stage);
    AddComparedFields(rule.where.get(), i, by_stage);
  }
  std::vector<cep::PatternBody::ComparedField> out;
  for (uint32_t i = 0; i < stages.size(); ++i) {
    for (cep::SlotIndex slot : by_stage[i]) {
      out.push_back({static_cast<cep::StageIndex>(i), slot,
                     stages[i].name.name + "." + schema.field(slot).name});
    }
  }
  return out;
}

bool Compiler::CompilePattern(const Rule& rule, cep::Rule& out) {
  const PatternSpec& spec = *rule.pattern;
  auto pattern = std::make_shared<cep::Pattern>();
  const size_t errors_before = diagnostics_.size();
  for (const PatternStage& stage : spec.stages) {
    cep::Stage s;
    s.name = stage.name.name;
    switch (stage.op) {
      case StageOp::kBegin:
      case StageOp::kFollowedBy: s.contiguity = cep::Contiguity::kRelaxed; break;
      case StageOp::kNext: s.contiguity = cep::Contiguity::kStrict; break;
      case StageOp::kFollowedByAny: s.contiguity = cep::Contiguity::kNonDeterministic; break;
      case StageOp::kNotNext: s.kind = cep::StageKind::kNotNext; break;
      case StageOp::kNotFollowedBy: s.kind = cep::StageKind::kNotFollowedBy; break;
    }
    if (s.kind == cep::StageKind::kPositive) s.quantifier = ToQuantifier(stage.quantifier);
    s.where = MakeCondition(stage.where.get());
    s.until = MakeCondition(stage.until.get());
    pattern->stages.push_back(std::move(s));
  }
  if (spec.within) pattern->within = spec.within->value;
  pattern->emit_timeouts = rule.on_timeout_emit;
  if (rule.skip) {
    static const std::map<SkipKind, cep::SkipStrategy> kSkips = {
        {SkipKind::kNoSkip, cep::SkipStrategy::kNoSkip},
        {SkipKind::kSkipToNext, cep::SkipStrategy::kSkipToNext},
        {SkipKind::kSkipPastLastEvent, cep::SkipStrategy::kSkipPastLastEvent},
        {SkipKind::kSkipToFirst, cep::SkipStrategy::kSkipToFirst},
        {SkipKind::kSkipToLast, cep::SkipStrategy::kSkipToLast}};
    pattern->skip.strategy = kSkips.at(rule.skip->kind);
    for (size_t i = 0; i < spec.stages.size(); ++i) {
      if (spec.stages[i].name.name == rule.skip->stage.name) {
        pattern->skip.stage = static_cast<cep::StageIndex>(i);
      }
    }
  }
  if (diagnostics_.size() != errors_before) return false;
  auto nfa = cep::NfaProgram::Compile(pattern);
  if (!nfa) {
    Error(spec.span, nfa.error().message());
    return false;
  }
  const cep::StageKind last = pattern->stages.back().kind;
  cep::PatternBody body{std::move(nfa).value(), last == cep::StageKind::kNotFollowedBy,
                        last == cep::StageKind::kNotNext};
  if (!rule.emit) body.compared_fields = ComparedFields(rule, schema_);
  out.body = std::move(body);
  return true;
}

bool Compiler::CompileWindow(const Rule& rule, cep::Rule& out) {
  const WindowSpec& window = *rule.window;
  aggregate_index_.clear();
  aggregate_specs_.clear();
  aggregate_inputs_.clear();
  cep::WindowBody body;
  body.when = Build(*window.when);
  // `emit` may name aggregates `when` does not: they need inputs too.
  std::vector<std::shared_ptr<const cep::Expr>> emitted;
  if (rule.emit) {
    for (const EmitField& field : *rule.emit) emitted.push_back(Build(*field.value));
  }
  if (!body.when) return false;
  cep::Result<cep::WindowSpec> spec = cep::InvalidArgument("unknown window");
  switch (window.kind) {
    case WindowKind::kLast: spec = cep::WindowSpec::Last(window.size.value, aggregate_specs_); break;
    case WindowKind::kTumbling:
      spec = cep::WindowSpec::Tumbling(window.size.value, aggregate_specs_);
      break;
    case WindowKind::kSliding:
      spec = cep::WindowSpec::Sliding(window.size.value, window.every ? window.every->value
                                                                      : window.size.value,
                                      aggregate_specs_);
      break;
    case WindowKind::kSession: spec = cep::WindowSpec::Session(window.size.value, aggregate_specs_); break;
  }
  if (!spec) {
    Error(window.span, spec.error().message());
    return false;
  }
  body.spec = std::make_shared<cep::WindowSpec>(std::move(spec).value());
  body.inputs = std::move(aggregate_inputs_);
  out.body = std::move(body);
  for (size_t i = 0; i < emitted.size(); ++i) {
    if (emitted[i]) out.emit.push_back({(*rule.emit)[i].name.name, emitted[i]});
  }
  return true;
}

// FNV-1a, 64 bit: stable across processes and builds, unlike std::hash.
uint64_t Fnv1a64(std::string_view text) {
  uint64_t hash = 14695981039346656037ull;
  for (char c : text) hash = (hash ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return hash;
}

namespace {

// Whether `name` occurs in `text` as a whole identifier.
bool NamesIdentifier(std::string_view text, std::string_view name) {
  auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; };
  for (size_t at = text.find(name); at != std::string_view::npos; at = text.find(name, at + 1)) {
    const bool starts = at == 0 || !ident(text[at - 1]);
    const bool ends = at + name.size() == text.size() || !ident(text[at + name.size()]);
    if (starts && ends) return true;
  }
  return false;
}

}  // namespace

std::string Compiler::UsedConsts(const std::string& rule_text) const {
  // Const values are literals, so a rule uses exactly the consts it names. A
  // name inside a string literal counts too: that only resets state needlessly.
  std::string text;
  for (const ConstDecl& decl : ast_.consts) {
    if (!NamesIdentifier(rule_text, decl.name.name)) continue;
    text += decl.name.name + " = " + PrintExpr(*decl.value) + "\n";
  }
  return text;
}

std::string Compiler::FingerprintContext() const {
  // Bump when compiling the same text can behave differently (a checkpoint of
  // the old compilation must not be restored into the new one).
  // 2: a rule hashes only the consts it names (UsedConsts), so changing one
  // const keeps the state of the rules that do not use it (hot swap).
  std::string text = "cep-rule-fingerprint 2\n";
  // The final schema (regex and attrs slots included): restored events keep their slots.
  text += "schema\n";
  for (const cep::FieldDef& field : schema_.fields()) {
    text += field.name + ": " + std::string(TypeKeyword(field.type)) + "\n";
  }
  // Regex ids: events keep their match bits.
  text += "regexes\n";
  for (const RegexField& group : regex_fields_) {
    text += std::to_string(group.field) + ":";
    for (const auto& spec : group.specs) {
      text += " " + spec.flags + "/" + std::to_string(spec.pattern.size()) + "/" + spec.pattern;
    }
    text += "\n";
  }
  text += "max_partial_matches " + std::to_string(options_.max_partial_matches) + "\n";
  return text;
}

std::optional<cep::Rule> Compiler::CompileRule(const Rule& rule) {
  cep::Rule out;
  out.name = rule.name.name;
  const std::string printed = PrintRule(rule);
  out.fingerprint = Fnv1a64(fingerprint_context_ + "consts\n" + UsedConsts(printed) + "rule\n" + printed);
  if (rule.severity) {
    out.severity = static_cast<cep::Severity>(static_cast<int>(*rule.severity) + 1);
  }
  out.mode = rule.mode == Mode::kShadow ? cep::RuleMode::kShadow : cep::RuleMode::kLive;
  if (rule.key && !rule.key->none) {
    for (const auto& field : rule.key->fields) {
      auto slot = field->resolved.ref == RefKind::kAttr ? schema_.Find("attrs." + field->text)
                                                         : std::optional(field->resolved.slot);
      if (slot) out.key_slots.push_back(*slot);
    }
  }
  if (rule.where) {
    out.where = Build(*rule.where);
    if (!out.where) return std::nullopt;
  }
  if (rule.suppress) out.suppress = rule.suppress->value;
  if (rule.late) {
    out.late.kind = static_cast<cep::LatePolicy::Kind>(rule.late->kind);
    out.late.accept_within = rule.late->accept.value;
  }
  if (rule.pattern) {
    if (!CompilePattern(rule, out)) return std::nullopt;
    if (rule.emit) {
      for (const EmitField& field : *rule.emit) {
        auto expr = Build(*field.value);
        if (!expr) return std::nullopt;
        out.emit.push_back({field.name.name, std::move(expr)});
      }
    }
  } else if (rule.window) {
    if (!CompileWindow(rule, out)) return std::nullopt;
  } else {
    Error(rule.span, "a rule needs a pattern or a window");
    return std::nullopt;
  }
  return out;
}

cep::Result<CompiledRuleset, std::vector<Diagnostic>> Compiler::Run() {
  CompiledRuleset out;
  CollectRegexes();
  CompileRegexes(out);
  auto program = std::make_shared<cep::Program>();
  program->ruleset = ast_.name.name;
  program->version = static_cast<uint32_t>(ast_.version);
  fingerprint_context_ = FingerprintContext();
  for (const Rule& rule : ast_.rules) {
    if (auto compiled = CompileRule(rule)) program->rules.push_back(std::move(*compiled));
  }
  if (!diagnostics_.empty()) {
    std::stable_sort(diagnostics_.begin(), diagnostics_.end(),
                     [](const Diagnostic& a, const Diagnostic& b) { return a.span.offset < b.span.offset; });
    return cep::Unexpected(std::move(diagnostics_));
  }
  program->regex = regex_slots_;
  program->schema = std::make_shared<cep::Schema>(std::move(schema_));
  out.program = std::move(program);
  return out;
}

}  // namespace

cep::Result<CompiledRuleset, std::vector<Diagnostic>> Compile(CheckedRuleset checked,
                                                              const CompileOptions& options) {
  Compiler compiler(checked, options);
  return compiler.Run();
}

namespace {

// Replaces const values by the overrides' (CompileOptions::const_overrides).
std::vector<Diagnostic> OverrideConsts(
    Ruleset& ruleset, const std::vector<std::pair<std::string, std::string>>& overrides,
    const ParseLimits& limits) {
  std::vector<Diagnostic> problems;
  for (const auto& [name, value] : overrides) {
    auto decl = std::find_if(ruleset.consts.begin(), ruleset.consts.end(),
                             [&](const ConstDecl& d) { return d.name.name == name; });
    if (decl == ruleset.consts.end()) {
      std::string known;
      for (const ConstDecl& d : ruleset.consts) known += (known.empty() ? "" : ", ") + d.name.name;
      problems.push_back({ruleset.span, "--set " + name + ": ruleset " + ruleset.name.name +
                                            " has no const " + name +
                                            (known.empty() ? " (it has none)" : " (it has " + known + ")")});
      continue;
    }
    // The value as the parser reads a const's, from a ruleset of its own.
    auto parsed = Parse("ruleset set version 1\nconst " + name + " = " + value + "\n", limits);
    if (!parsed || parsed->consts.size() != 1) {
      problems.push_back({decl->span, "--set " + name + "=" + value +
                                          ": not a const value (a number, string, duration, "
                                          "regex or [list] of those)"});
      continue;
    }
    decl->value = std::move(parsed->consts.front().value);
  }
  return problems;
}

}  // namespace

cep::Result<CompiledRuleset, std::vector<Diagnostic>> CompileRuleset(std::string_view text,
                                                                     const CompileOptions& options) {
  auto parsed = Parse(text, options.parse);
  if (!parsed) return cep::Unexpected(std::move(parsed).error());
  if (!options.const_overrides.empty()) {
    auto problems = OverrideConsts(*parsed, options.const_overrides, options.parse);
    if (!problems.empty()) return cep::Unexpected(std::move(problems));
  }
  auto checked = Check(std::move(parsed).value());
  if (!checked) return cep::Unexpected(std::move(checked).error());
  return Compile(std::move(checked).value(), options);
}

}  // namespace rules
