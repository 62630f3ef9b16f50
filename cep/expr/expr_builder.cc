#include "cep/expr/expr_builder.h"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "cep/expr/internal/node.h"
#include "cep/expr/internal/ops.h"
#include "cep/expr/internal/value_set.h"

namespace cep {

using internal::Node;
using internal::OpChoice;

ExprBuilder::ExprBuilder() = default;
ExprBuilder::~ExprBuilder() = default;

ExprId ExprBuilder::Add(Node node) {
  CHECK(node.fn != nullptr, "every node has an evaluation function");
  nodes_.push_back(std::move(node));
  return ExprId{static_cast<uint32_t>(nodes_.size() - 1)};
}

const Node& ExprBuilder::node(ExprId id) const {
  CHECK(id.index < nodes_.size(), "ExprId from another builder");
  return nodes_[id.index];
}

Type ExprBuilder::TypeOf(ExprId id) const { return node(id).type; }

namespace {

Node WithKids(internal::EvalFn fn, Type type, std::initializer_list<ExprId> kids) {
  Node n;
  n.fn = fn;
  n.type = type;
  for (ExprId kid : kids) n.kid_ids[n.kid_count++] = kid.index;
  return n;
}

}  // namespace

ExprId ExprBuilder::Literal(const Value& value) {
  Node n;
  n.fn = &internal::EvalLiteral;
  n.type = value.type();
  n.constant = value;
  if (value.type() == Type::kString) {
    // The heap bytes of a shared string stay put when nodes are copied or moved.
    n.text = std::make_shared<const std::string>(value.string_value());
    n.constant = Value::String(*n.text);
  }
  return Add(std::move(n));
}

ExprId ExprBuilder::Field(SlotIndex slot, Type type) {
  Node n = WithKids(&internal::EvalField, type, {});
  n.slot = slot;
  return Add(std::move(n));
}

ExprId ExprBuilder::StageField(StageIndex stage, SlotIndex slot, Type type) {
  Node n = WithKids(&internal::EvalStageField, type, {});
  n.stage = stage;
  n.slot = slot;
  n.field_type = type;
  return Add(std::move(n));
}

ExprId ExprBuilder::StageCount(StageIndex stage) {
  Node n = WithKids(&internal::EvalStageCount, Type::kInt, {});
  n.stage = stage;
  return Add(std::move(n));
}

Result<ExprId> ExprBuilder::StageAggregate(StageAggregateFn fn, StageIndex stage, SlotIndex slot,
                                           Type field_type) {
  ASSIGN_OR_RETURN(const OpChoice choice, internal::ChooseStageAggregate(fn, field_type));
  Node n = WithKids(choice.fn, choice.type, {});
  n.stage = stage;
  n.slot = slot;
  n.field_type = field_type;
  return Add(std::move(n));
}

ExprId ExprBuilder::WindowAggregate(uint32_t index, Type type) {
  Node n = WithKids(&internal::EvalWindowAggregate, type, {});
  n.index = index;
  return Add(std::move(n));
}

Result<ExprId> ExprBuilder::Unary(UnaryOp op, ExprId operand) {
  const Type t = TypeOf(operand);
  if (op == UnaryOp::kNot) {
    if (!internal::Fits(t, Type::kBool)) {
      return InvalidArgument("`not` needs a bool, not " + std::string(TypeName(t)));
    }
    return Add(WithKids(&internal::EvalNot, Type::kBool, {operand}));
  }
  ASSIGN_OR_RETURN(const OpChoice choice, internal::ChooseNegate(t));
  return Add(WithKids(choice.fn, choice.type, {operand}));
}

Result<ExprId> ExprBuilder::Binary(BinaryOp op, ExprId lhs, ExprId rhs) {
  const Type a = TypeOf(lhs);
  const Type b = TypeOf(rhs);
  OpChoice choice;
  switch (op) {
    case BinaryOp::kAnd:
    case BinaryOp::kOr:
      if (!internal::Fits(a, Type::kBool) || !internal::Fits(b, Type::kBool)) {
        return InvalidArgument("`" + std::string(BinaryOpName(op)) + "` needs bools, not " +
                               std::string(TypeName(a)) + " and " + std::string(TypeName(b)));
      }
      choice = {op == BinaryOp::kAnd ? &internal::EvalAnd : &internal::EvalOr, Type::kBool};
      break;
    case BinaryOp::kEq:
    case BinaryOp::kNe:
    case BinaryOp::kLt:
    case BinaryOp::kLe:
    case BinaryOp::kGt:
    case BinaryOp::kGe: {
      ASSIGN_OR_RETURN(choice, internal::ChooseComparison(op, a, b));
      break;
    }
    default: {
      ASSIGN_OR_RETURN(choice, internal::ChooseArithmetic(op, a, b));
      break;
    }
  }
  Node n = WithKids(choice.fn, choice.type, {lhs, rhs});
  n.op = static_cast<uint8_t>(op);
  return Add(std::move(n));
}

Result<ExprId> ExprBuilder::In(ExprId operand, std::span<const Value> list, bool negate) {
  const Type t = TypeOf(operand);
  if (t == Type::kNull) return Add(WithKids(&internal::EvalFalse, Type::kBool, {operand}));
  ASSIGN_OR_RETURN(auto set, internal::ValueSet::Make(t, list));
  Node n = WithKids(&internal::EvalIn, Type::kBool, {operand});
  n.negate = negate;
  n.set = std::move(set);
  return Add(std::move(n));
}

ExprId ExprBuilder::IsNull(ExprId operand, bool negate) {
  Node n = WithKids(&internal::EvalIsNull, Type::kBool, {operand});
  n.negate = negate;
  return Add(std::move(n));
}

Result<ExprId> ExprBuilder::Regex(ExprId field, uint32_t regex_id, bool negate) {
  const Node& f = node(field);
  if (f.fn != &internal::EvalField || f.type != Type::kString) {
    return InvalidArgument("a regex match needs a string field of the event, not a " +
                           std::string(TypeName(f.type)) + " expression");
  }
  Node n = WithKids(&internal::EvalRegex, Type::kBool, {field});
  n.negate = negate;
  n.index = regex_id;
  return Add(std::move(n));
}

Result<ExprId> ExprBuilder::Call(Function fn, std::span<const ExprId> args) {
  if (args.size() > internal::kMaxKids) {
    return InvalidArgument("function " + std::string(FunctionName(fn)) + ": too many arguments");
  }
  Type types[internal::kMaxKids];
  for (size_t i = 0; i < args.size(); ++i) types[i] = TypeOf(args[i]);
  ASSIGN_OR_RETURN(const OpChoice choice,
                   internal::ChooseFunction(fn, std::span<const Type>(types, args.size())));
  Node n = WithKids(choice.fn, choice.type, {});
  for (ExprId arg : args) n.kid_ids[n.kid_count++] = arg.index;
  n.op = static_cast<uint8_t>(fn);
  return Add(std::move(n));
}

}  // namespace cep

namespace cep {

// Children are always added before their parents, so ids grow from leaves to
// roots: collect what `root` reaches (without recursion, however deep the tree),
// sort it, and copy in that order so every child is in place before its parent.
// The cost is in the size of this expression, not of the whole builder.
Result<std::shared_ptr<const Expr>> ExprBuilder::Build(ExprId root) const {
  const Node& root_node = node(root);
  std::unordered_map<uint32_t, uint32_t> new_index;  // builder id -> index in the Expr
  std::vector<uint32_t> reached;
  std::vector<uint32_t> stack = {root.index};
  while (!stack.empty()) {
    const uint32_t id = stack.back();
    stack.pop_back();
    if (!new_index.emplace(id, 0).second) continue;
    reached.push_back(id);
    for (uint8_t k = 0; k < nodes_[id].kid_count; ++k) stack.push_back(nodes_[id].kid_ids[k]);
  }
  std::sort(reached.begin(), reached.end());
  std::shared_ptr<Expr> expr(new Expr(root_node.type));
  expr->nodes_.reserve(reached.size());
  std::vector<int> depth(reached.size(), 1);
  for (uint32_t id : reached) {
    Node copy = nodes_[id];
    const size_t at = expr->nodes_.size();
    for (uint8_t k = 0; k < copy.kid_count; ++k) {
      const uint32_t kid = new_index.at(copy.kid_ids[k]);
      copy.kids[k] = &expr->nodes_[kid];
      depth[at] = std::max(depth[at], depth[kid] + 1);
    }
    if (depth[at] > kMaxDepth) {
      return InvalidArgument("expression nested deeper than " + std::to_string(kMaxDepth));
    }
    new_index[id] = static_cast<uint32_t>(at);
    expr->nodes_.push_back(std::move(copy));
  }
  expr->root_ = &expr->nodes_.back();
  return std::shared_ptr<const Expr>(std::move(expr));
}

}  // namespace cep
