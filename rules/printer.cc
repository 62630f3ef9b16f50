#include "rules/printer.h"

#include "cep/base/decimal.h"
#include "cep/base/time.h"

namespace rules {
namespace {

// Precedence levels of DSL.md "Expressions", lowest first.
enum Precedence : int {
  kOrLevel = 1,
  kAndLevel,
  kNotLevel,
  kComparisonLevel,
  kAdditiveLevel,
  kMultiplicativeLevel,
  kUnaryLevel,
  kPrimaryLevel,
};

int LevelOf(const Expr& expr) {
  switch (expr.kind) {
    case ExprKind::kUnary:
      return expr.unary_op == UnaryOp::kNot ? kNotLevel : kUnaryLevel;
    case ExprKind::kIsNull:
      return kComparisonLevel;
    case ExprKind::kBinary:
      switch (expr.binary_op) {
        case BinaryOp::kOr: return kOrLevel;
        case BinaryOp::kAnd: return kAndLevel;
        case BinaryOp::kAdd: case BinaryOp::kSub: return kAdditiveLevel;
        case BinaryOp::kMul: case BinaryOp::kDiv: case BinaryOp::kMod:
          return kMultiplicativeLevel;
        default: return kComparisonLevel;
      }
    default:
      return kPrimaryLevel;
  }
}

std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

void Print(const Expr& expr, int min_level, std::string& out);

void PrintList(const std::vector<ExprPtr>& items, std::string& out) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    Print(*items[i], kOrLevel, out);
  }
}

void PrintOperator(const Expr& expr, std::string& out) {
  if (expr.kind == ExprKind::kUnary) {
    out += expr.unary_op == UnaryOp::kNot ? "not " : "-";
    Print(*expr.args[0], expr.unary_op == UnaryOp::kNot ? kNotLevel : kUnaryLevel, out);
    return;
  }
  if (expr.kind == ExprKind::kIsNull) {
    Print(*expr.args[0], kAdditiveLevel, out);
    out += expr.negated ? " is not null" : " is null";
    return;
  }
  // Binary: left-associative, so the right operand needs one level more; a
  // comparison does not chain, so both its operands are additive.
  const int level = LevelOf(expr);
  const int left = level == kComparisonLevel ? kAdditiveLevel : level;
  const int right = level == kComparisonLevel ? kAdditiveLevel : level + 1;
  Print(*expr.args[0], left, out);
  out += ' ';
  out += BinaryOpText(expr.binary_op);
  out += ' ';
  Print(*expr.args[1], right, out);
}

void PrintPrimary(const Expr& expr, std::string& out) {
  switch (expr.kind) {
    case ExprKind::kInt: out += std::to_string(expr.int_value); return;
    case ExprKind::kDecimal: {
      // Always with a '.', or it would read back as an int.
      std::string text = cep::FormatDecimalMicros(expr.int_value);
      if (text.find('.') == std::string::npos) text += ".0";
      out += text;
      return;
    }
    case ExprKind::kString: out += Quote(expr.text); return;
    case ExprKind::kBool: out += expr.int_value != 0 ? "true" : "false"; return;
    case ExprKind::kDuration:
      out += cep::FormatDuration(cep::Duration::Millis(expr.int_value));
      return;
    case ExprKind::kRegex: out += "/" + expr.text + "/" + expr.flags; return;
    case ExprKind::kList:
      out += '[';
      PrintList(expr.args, out);
      out += ']';
      return;
    case ExprKind::kName:
      if (!expr.qualifier.empty()) out += expr.qualifier + ".";
      out += expr.text;
      return;
    case ExprKind::kCall:
      out += expr.text + "(";
      PrintList(expr.args, out);
      if (expr.filter != nullptr) {
        out += expr.args.empty() ? "where " : " where ";
        Print(*expr.filter, kOrLevel, out);
      }
      out += ')';
      return;
    default:
      PrintOperator(expr, out);
      return;
  }
}

void Print(const Expr& expr, int min_level, std::string& out) {
  const bool parens = LevelOf(expr) < min_level;
  if (parens) out += '(';
  PrintPrimary(expr, out);
  if (parens) out += ')';
}

std::string Duration(const DurationLit& d) { return cep::FormatDuration(d.value); }

std::string Quantifier(const StageQuantifier& q) {
  std::string out;
  switch (q.count) {
    case StageQuantifier::Count::kOnce: break;
    case StageQuantifier::Count::kTimes: out += " times " + std::to_string(q.min); break;
    case StageQuantifier::Count::kTimesRange:
      out += " times " + std::to_string(q.min) + ".." + std::to_string(q.max);
      break;
    case StageQuantifier::Count::kOneOrMore: out += " one_or_more"; break;
    case StageQuantifier::Count::kTimesOrMore:
      out += " times_or_more " + std::to_string(q.min);
      break;
  }
  if (q.optional) out += " optional";
  if (q.greedy) out += " greedy";
  if (q.consecutive) out += " consecutive";
  if (q.allow_combinations) out += " allow_combinations";
  return out;
}

void PrintPattern(const PatternSpec& pattern, std::string& out) {
  out += "  pattern\n";
  for (const PatternStage& stage : pattern.stages) {
    out += "    ";
    out += StageOpText(stage.op);
    out += " " + stage.name.name + Quantifier(stage.quantifier);
    if (stage.where) out += " where " + PrintExpr(*stage.where);
    if (stage.until) out += " until " + PrintExpr(*stage.until);
    out += '\n';
  }
  if (pattern.within) out += "    within " + Duration(*pattern.within) + "\n";
}

void PrintWindow(const WindowSpec& window, std::string& out) {
  out += "  window ";
  switch (window.kind) {
    case WindowKind::kLast: out += "last " + Duration(window.size); break;
    case WindowKind::kSliding:
      out += "sliding " + Duration(window.size);
      if (window.every) out += " every " + Duration(*window.every);
      break;
    case WindowKind::kTumbling: out += "tumbling " + Duration(window.size); break;
    case WindowKind::kSession: out += "session gap " + Duration(window.size); break;
  }
  out += "\n";
  if (window.when) out += "  when " + PrintExpr(*window.when) + "\n";
}

std::string Skip(const SkipSpec& skip) {
  switch (skip.kind) {
    case SkipKind::kNoSkip: return "no_skip";
    case SkipKind::kSkipToNext: return "to_next";
    case SkipKind::kSkipPastLastEvent: return "past_last_event";
    case SkipKind::kSkipToFirst: return "to_first " + skip.stage.name;
    case SkipKind::kSkipToLast: return "to_last " + skip.stage.name;
  }
  return "?";
}

std::string Late(const LatePolicy& late) {
  switch (late.kind) {
    case LatePolicy::Kind::kDrop: return "drop";
    case LatePolicy::Kind::kSideOutput: return "side_output";
    case LatePolicy::Kind::kAccept: return "accept " + Duration(late.accept);
  }
  return "?";
}

void PrintItems(const Rule& rule, std::string& out) {
  if (rule.key) {
    out += "  key ";
    if (rule.key->none) out += "none";
    PrintList(rule.key->fields, out);
    out += '\n';
  }
  if (rule.severity) out += "  severity " + std::string(SeverityText(*rule.severity)) + "\n";
  if (rule.where) out += "  where " + PrintExpr(*rule.where) + "\n";
  if (rule.pattern) PrintPattern(*rule.pattern, out);
  if (rule.window) PrintWindow(*rule.window, out);
  if (rule.skip) out += "  skip " + Skip(*rule.skip) + "\n";
  if (rule.emit) {
    out += "  emit { ";
    for (size_t i = 0; i < rule.emit->size(); ++i) {
      const EmitField& field = (*rule.emit)[i];
      if (i > 0) out += ", ";
      out += field.name.name + ": " + PrintExpr(*field.value);
    }
    out += " }\n";
  }
  if (rule.on_timeout_emit) out += "  on timeout emit\n";
  if (rule.suppress) out += "  suppress " + Duration(*rule.suppress) + "\n";
  if (rule.mode) out += *rule.mode == Mode::kLive ? "  mode live\n" : "  mode shadow\n";
  if (rule.late) out += "  late " + Late(*rule.late) + "\n";
  if (rule.unbounded) out += "  unbounded\n";
}

}  // namespace

std::string PrintExpr(const Expr& expr) {
  std::string out;
  Print(expr, kOrLevel, out);
  return out;
}

std::string PrintRule(const Rule& rule) {
  std::string out = "rule " + rule.name.name + " {\n";
  PrintItems(rule, out);
  return out + "}\n";
}

std::string PrintRuleset(const Ruleset& ruleset) {
  std::string out =
      "ruleset " + ruleset.name.name + " version " + std::to_string(ruleset.version) + "\n";
  if (ruleset.schema) {
    out += "\nschema ";
    if (ruleset.schema->builtin_transaction) {
      out += "transaction\n";
    } else {
      out += "{ ";
      for (size_t i = 0; i < ruleset.schema->fields.size(); ++i) {
        const FieldDecl& field = ruleset.schema->fields[i];
        if (i > 0) out += ", ";
        out += field.name.name + ": " + std::string(TypeKeyword(field.type));
      }
      out += " }\n";
    }
  }
  if (!ruleset.consts.empty()) out += '\n';
  for (const ConstDecl& decl : ruleset.consts) {
    out += "const " + decl.name.name + " = " + PrintExpr(*decl.value) + "\n";
  }
  for (const Rule& rule : ruleset.rules) out += "\n" + PrintRule(rule);
  return out;
}

}  // namespace rules
