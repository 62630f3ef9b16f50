#include "rules/ast.h"

namespace rules {

std::string_view BinaryOpText(BinaryOp op) {
  switch (op) {
    case BinaryOp::kOr: return "or";
    case BinaryOp::kAnd: return "and";
    case BinaryOp::kEq: return "==";
    case BinaryOp::kNe: return "!=";
    case BinaryOp::kLt: return "<";
    case BinaryOp::kLe: return "<=";
    case BinaryOp::kGt: return ">";
    case BinaryOp::kGe: return ">=";
    case BinaryOp::kIn: return "in";
    case BinaryOp::kNotIn: return "not in";
    case BinaryOp::kMatch: return "~";
    case BinaryOp::kNotMatch: return "!~";
    case BinaryOp::kAdd: return "+";
    case BinaryOp::kSub: return "-";
    case BinaryOp::kMul: return "*";
    case BinaryOp::kDiv: return "/";
    case BinaryOp::kMod: return "%";
  }
  return "?";
}

std::string_view StageOpText(StageOp op) {
  switch (op) {
    case StageOp::kBegin: return "begin";
    case StageOp::kNext: return "next";
    case StageOp::kFollowedBy: return "followed_by";
    case StageOp::kFollowedByAny: return "followed_by_any";
    case StageOp::kNotNext: return "not_next";
    case StageOp::kNotFollowedBy: return "not_followed_by";
  }
  return "?";
}

std::string_view SeverityText(Severity severity) {
  switch (severity) {
    case Severity::kLow: return "low";
    case Severity::kMedium: return "medium";
    case Severity::kHigh: return "high";
    case Severity::kCritical: return "critical";
  }
  return "?";
}

std::string_view TypeKeyword(cep::Type type) {
  switch (type) {
    case cep::Type::kNull: return "null";
    case cep::Type::kBool: return "bool";
    case cep::Type::kInt: return "int";
    case cep::Type::kFloat: return "float";
    case cep::Type::kDecimal: return "decimal";
    case cep::Type::kString: return "string";
    case cep::Type::kTime: return "time";
    case cep::Type::kDuration: return "duration";
  }
  return "?";
}

}  // namespace rules
