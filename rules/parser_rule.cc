// Rules, their items and patterns (DSL.md "Rule items", "Patterns").
#include "rules/internal/parser_impl.h"

namespace rules::internal {
namespace {

bool IsWordToken(const Token& t, bool (*predicate)(std::string_view)) {
  return t.kind == TokenKind::kIdent && predicate(t.text);
}

// Where to resume after a bad rule item: the next item, the rule's end, or the
// next top-level declaration.
bool AtItemBoundary(const Token& t) {
  return t.kind == TokenKind::kRBrace || IsWordToken(t, IsRuleItemWord) ||
         IsWordToken(t, IsTopLevelWord);
}

// Where to resume after a bad pattern stage. Not `where`/`until`: those are
// common inside stages, and stopping there would misread a stage's condition as
// the rule's filter.
bool AtStageBoundary(const Token& t) {
  if (t.kind == TokenKind::kIdent && (t.text == "where" || t.text == "until")) return false;
  return AtItemBoundary(t) || IsWordToken(t, IsStageWord);
}

std::optional<StageOp> StageOpOf(std::string_view word) {
  static constexpr StageOp kOps[] = {StageOp::kBegin,         StageOp::kNext,
                                     StageOp::kFollowedBy,    StageOp::kFollowedByAny,
                                     StageOp::kNotNext,       StageOp::kNotFollowedBy};
  for (StageOp op : kOps) {
    if (StageOpText(op) == word) return op;
  }
  return std::nullopt;
}

}  // namespace

void Parser::ParseRule(Ruleset& ruleset) {
  Rule rule;
  rule.span = Advance().span;
  if (ruleset.rules.size() >= limits_.max_rules) {
    Error(rule.span, "a ruleset has at most " + std::to_string(limits_.max_rules) + " rules");
    stopped_ = true;
    return;
  }
  auto name = ExpectName("the rule's name after 'rule'");
  if (!name || !Expect(TokenKind::kLBrace, "'{' after the rule's name")) {
    SyncTo([](const Token& t) { return IsWordToken(t, IsTopLevelWord); });
    return;
  }
  rule.name = std::move(*name);
  while (!At(TokenKind::kRBrace) && !At(TokenKind::kEof)) {
    if (IsWordToken(Peek(), IsTopLevelWord)) break;
    if (!ParseRuleItem(rule)) SyncTo(AtItemBoundary);
  }
  if (!Accept(TokenKind::kRBrace)) {
    ExpectedError("'}' to close rule '" + rule.name.name + "'");
  }
  ruleset.rules.push_back(std::move(rule));
}

// Reports a second `severity` (or other single item) in one rule.
bool Parser::CheckOnce(bool already_given, const Token& keyword) {
  if (!already_given) return true;
  Error(keyword.span, "'" + std::string(keyword.text) + "' is given twice in this rule");
  return false;
}

bool Parser::ParseRuleItem(Rule& rule) {
  const Token& keyword = Peek();
  if (keyword.kind != TokenKind::kIdent || !IsRuleItemWord(keyword.text)) {
    ExpectedError("a rule item (key, severity, where, pattern, window, skip, emit, on timeout "
                  "emit, suppress, mode, late, unbounded) or '}'");
    Advance();
    return false;
  }
  const std::string_view word = keyword.text;
  Advance();
  if (word == "key") {
    auto key = ParseKey();
    if (key && CheckOnce(rule.key.has_value(), keyword)) rule.key = std::move(key);
    return key.has_value();
  }
  if (word == "severity") {
    auto severity = ParseSeverity();
    if (severity && CheckOnce(rule.severity.has_value(), keyword)) {
      rule.severity = severity;
      rule.severity_span = keyword.span;
    }
    return severity.has_value();
  }
  if (word == "where") {
    ExprPtr where = ParseExpr();
    if (where && CheckOnce(rule.where != nullptr, keyword)) rule.where = std::move(where);
    return rule.where != nullptr;
  }
  if (word == "pattern") {
    auto pattern = ParsePattern();
    if (pattern) pattern->span = keyword.span;
    if (pattern && CheckOnce(rule.pattern.has_value(), keyword)) rule.pattern = std::move(pattern);
    return pattern.has_value();
  }
  if (word == "window") {
    auto window = ParseWindow();
    if (window) window->span = keyword.span;
    if (window && CheckOnce(rule.window.has_value(), keyword)) rule.window = std::move(window);
    return window.has_value();
  }
  if (word == "skip") {
    auto skip = ParseSkip();
    if (skip) skip->span = keyword.span;
    if (skip && CheckOnce(rule.skip.has_value(), keyword)) rule.skip = std::move(skip);
    return skip.has_value();
  }
  if (word == "emit") {
    auto emit = ParseEmit();
    if (emit && CheckOnce(rule.emit.has_value(), keyword)) {
      rule.emit = std::move(emit);
      rule.emit_span = keyword.span;
    }
    return emit.has_value();
  }
  if (word == "on") {
    if (!AcceptWord("timeout") || !AcceptWord("emit")) {
      ExpectedError("'timeout emit' after 'on'");
      return false;
    }
    if (CheckOnce(rule.on_timeout_emit, keyword)) rule.on_timeout_span = keyword.span;
    rule.on_timeout_emit = true;
    return true;
  }
  if (word == "suppress") {
    auto duration = ExpectDuration("suppress");
    if (duration && CheckOnce(rule.suppress.has_value(), keyword)) rule.suppress = duration;
    return duration.has_value();
  }
  if (word == "mode") {
    std::optional<Mode> mode;
    if (AcceptWord("live")) mode = Mode::kLive;
    else if (AcceptWord("shadow")) mode = Mode::kShadow;
    else ExpectedError("'live' or 'shadow' after 'mode'");
    if (mode && CheckOnce(rule.mode.has_value(), keyword)) {
      rule.mode = mode;
      rule.mode_span = keyword.span;
    }
    return mode.has_value();
  }
  if (word == "late") {
    auto late = ParseLate();
    if (late) late->span = keyword.span;
    if (late && CheckOnce(rule.late.has_value(), keyword)) rule.late = std::move(late);
    return late.has_value();
  }
  if (word == "unbounded") {
    if (CheckOnce(rule.unbounded, keyword)) rule.unbounded_span = keyword.span;
    rule.unbounded = true;
    return true;
  }
  if (word == "within") {
    Error(keyword.span, "'within' belongs to a pattern: write it after the pattern's stages");
  } else {  // "when"
    Error(keyword.span, "'when' belongs to a window: write 'window last 30m when ...'");
  }
  return false;
}

std::optional<KeySpec> Parser::ParseKey() {
  KeySpec key;
  key.span = Peek().span;
  if (AcceptWord("none")) {
    key.none = true;
    return key;
  }
  do {
    ExprPtr field = ParseNameOrCall();
    if (field == nullptr) return std::nullopt;
    if (field->kind != ExprKind::kName) {
      Error(field->span, "expected a field name to key by");
      return std::nullopt;
    }
    key.span = Cover(key.span, field->span);
    key.fields.push_back(std::move(field));
  } while (Accept(TokenKind::kComma));
  return key;
}

std::optional<Severity> Parser::ParseSeverity() {
  static constexpr Severity kAll[] = {Severity::kLow, Severity::kMedium, Severity::kHigh,
                                      Severity::kCritical};
  for (Severity severity : kAll) {
    if (AcceptWord(SeverityText(severity))) return severity;
  }
  ExpectedError("low, medium, high or critical after 'severity'");
  return std::nullopt;
}

std::optional<PatternSpec> Parser::ParsePattern() {
  PatternSpec pattern;
  if (!IsWordToken(Peek(), IsStageWord)) {
    ExpectedError("'begin STAGE' after 'pattern'");
    return std::nullopt;
  }
  bool ok = true;
  bool first = true;  // by position: a failed `begin` still makes the next stage second
  while (IsWordToken(Peek(), IsStageWord) && !stopped()) {
    PatternStage stage;
    const bool parsed = ParseStage(stage, first);
    first = false;
    if (parsed) {
      pattern.stages.push_back(std::move(stage));
    } else {
      ok = false;
      SyncTo(AtStageBoundary);
    }
  }
  if (AcceptWord("within")) {
    auto within = ExpectDuration("within");
    if (!within) return std::nullopt;
    pattern.within = within;
  }
  // A pattern with a bad stage is still returned, so that later items are
  // checked against it; the diagnostic already fails the parse.
  if (!ok && pattern.stages.empty()) return std::nullopt;
  return pattern;
}

bool Parser::ParseStage(PatternStage& stage, bool first) {
  const Token& keyword = Advance();
  stage.op = *StageOpOf(keyword.text);
  stage.span = keyword.span;
  if (first && stage.op != StageOp::kBegin) {
    Error(keyword.span, "a pattern starts with 'begin STAGE', got '" + std::string(keyword.text) +
                            "'");
  } else if (!first && stage.op == StageOp::kBegin) {
    Error(keyword.span,
          "'begin' starts a pattern; later stages use next, followed_by, followed_by_any, "
          "not_next or not_followed_by");
  }
  auto name = ExpectName("the stage's name after '" + std::string(keyword.text) + "'");
  if (!name) return false;
  stage.name = std::move(*name);
  stage.span = Cover(stage.span, stage.name.span);
  while (!stopped()) {
    const Token& token = Peek();
    if (token.kind != TokenKind::kIdent) break;
    if (token.text == "where" || token.text == "until") {
      Advance();
      ExprPtr& slot = token.text == "where" ? stage.where : stage.until;
      if (slot != nullptr) {
        Error(token.span, "'" + std::string(token.text) + "' is given twice in stage '" +
                              stage.name.name + "'");
      }
      ExprPtr expr = ParseExpr();
      if (expr == nullptr) return false;
      slot = std::move(expr);
      continue;
    }
    const std::optional<bool> clause = ParseStageClause(stage);
    if (!clause) break;  // not a quantifier word: the stage ends here
    if (!*clause) return false;
  }
  return true;
}

// One quantifier word (and its numbers): nullopt if the next word is no
// quantifier, false if it was malformed (reported), true if parsed.
std::optional<bool> Parser::ParseStageClause(PatternStage& stage) {
  StageQuantifier& q = stage.quantifier;
  const Token& token = Peek();
  auto flag = [&](bool& field) {
    Advance();
    if (field) Error(token.span, "'" + std::string(token.text) + "' is given twice in stage '" +
                                     stage.name.name + "'");
    field = true;
    q.modifier_span = token.span;
    return true;
  };
  if (token.text == "optional") return flag(q.optional);
  if (token.text == "greedy") return flag(q.greedy);
  if (token.text == "consecutive") return flag(q.consecutive);
  if (token.text == "allow_combinations") return flag(q.allow_combinations);
  if (token.text == "times" || token.text == "one_or_more" || token.text == "times_or_more") {
    if (q.count != StageQuantifier::Count::kOnce) {
      Error(token.span, "stage '" + stage.name.name + "' has two counts; give one of times, "
                                                      "one_or_more or times_or_more");
    }
    return ParseCount(q);
  }
  return std::nullopt;
}

bool Parser::ParseCount(StageQuantifier& q) {
  const Token& word = Advance();
  q.count_span = word.span;
  if (word.text == "one_or_more") {
    q.count = StageQuantifier::Count::kOneOrMore;
    q.min = 1;
    return true;
  }
  auto n = ExpectInt("a count such as 3 after '" + std::string(word.text) + "'");
  if (!n) return false;
  q.min = *n;
  q.count_span = Cover(word.span, tokens_[pos_ - 1].span);
  if (word.text == "times_or_more") {
    q.count = StageQuantifier::Count::kTimesOrMore;
    return true;
  }
  q.count = StageQuantifier::Count::kTimes;
  q.max = *n;
  if (Accept(TokenKind::kDotDot)) {
    auto m = ExpectInt("the upper bound such as 5 after '..'");
    if (!m) return false;
    q.count = StageQuantifier::Count::kTimesRange;
    q.max = *m;
    q.count_span = Cover(word.span, tokens_[pos_ - 1].span);
  }
  return true;
}

std::optional<WindowSpec> Parser::ParseWindow() {
  WindowSpec window;
  std::optional<DurationLit> size;
  if (AcceptWord("last")) {
    window.kind = WindowKind::kLast;
    size = ExpectDuration("window last");
  } else if (AcceptWord("sliding")) {
    window.kind = WindowKind::kSliding;
    size = ExpectDuration("window sliding");
    if (size && !AcceptWord("every")) {
      ExpectedError("'every' and the hop such as 'every 1m' after the sliding window's length");
      return std::nullopt;
    }
    if (size) {
      window.every = ExpectDuration("every");
      if (!window.every) return std::nullopt;
    }
  } else if (AcceptWord("tumbling")) {
    window.kind = WindowKind::kTumbling;
    size = ExpectDuration("window tumbling");
  } else if (AcceptWord("session")) {
    window.kind = WindowKind::kSession;
    if (!AcceptWord("gap")) {
      ExpectedError("'gap' after 'window session', as in 'window session gap 30m'");
      return std::nullopt;
    }
    size = ExpectDuration("gap");
  } else {
    ExpectedError("last, sliding, tumbling or session after 'window'");
    return std::nullopt;
  }
  if (!size) return std::nullopt;
  window.size = *size;
  if (!AcceptWord("when")) {
    ExpectedError("'when' and the window's condition, as in 'when count() >= 5'");
    return std::nullopt;
  }
  window.when = ParseExpr();
  if (window.when == nullptr) return std::nullopt;
  return window;
}

std::optional<SkipSpec> Parser::ParseSkip() {
  SkipSpec skip;
  const Token& word = Peek();
  if (word.kind == TokenKind::kIdent) {
    // Both the table's `skip_to_next` and the example's `skip past_last_event` forms.
    std::string_view name = word.text;
    if (name.starts_with("skip_")) name.remove_prefix(5);
    std::optional<SkipKind> kind;
    if (word.text == "no_skip") kind = SkipKind::kNoSkip;
    else if (name == "to_next") kind = SkipKind::kSkipToNext;
    else if (name == "past_last_event") kind = SkipKind::kSkipPastLastEvent;
    else if (name == "to_first") kind = SkipKind::kSkipToFirst;
    else if (name == "to_last") kind = SkipKind::kSkipToLast;
    if (kind) {
      Advance();
      skip.kind = *kind;
      if (*kind == SkipKind::kSkipToFirst || *kind == SkipKind::kSkipToLast) {
        auto stage = ExpectName("a stage name after '" + std::string(word.text) + "'");
        if (!stage) return std::nullopt;
        skip.stage = std::move(*stage);
      }
      return skip;
    }
  }
  ExpectedError("no_skip, skip_to_next, skip_past_last_event, skip_to_first STAGE or "
                "skip_to_last STAGE after 'skip'");
  return std::nullopt;
}

std::optional<std::vector<EmitField>> Parser::ParseEmit() {
  if (!Expect(TokenKind::kLBrace, "'{' after 'emit', as in 'emit { total: sum(a.amount) }'")) {
    return std::nullopt;
  }
  std::vector<EmitField> fields;
  while (!At(TokenKind::kRBrace)) {
    auto name = ExpectName("a name for the emitted value");
    if (!name || !Expect(TokenKind::kColon, "':' after '" + name->name + "'")) {
      return std::nullopt;
    }
    ExprPtr value = ParseExpr();
    if (value == nullptr) return std::nullopt;
    fields.push_back({std::move(*name), std::move(value)});
    if (!Accept(TokenKind::kComma)) break;
  }
  if (!Expect(TokenKind::kRBrace, "',' or '}' in 'emit'")) return std::nullopt;
  if (fields.empty()) {
    Error(tokens_[pos_ - 1].span, "'emit { }' is empty: name at least one value");
    return std::nullopt;
  }
  return fields;
}

std::optional<LatePolicy> Parser::ParseLate() {
  LatePolicy late;
  if (AcceptWord("drop")) {
    late.kind = LatePolicy::Kind::kDrop;
  } else if (AcceptWord("side_output")) {
    late.kind = LatePolicy::Kind::kSideOutput;
  } else if (AcceptWord("accept")) {
    late.kind = LatePolicy::Kind::kAccept;
    auto duration = ExpectDuration("late accept");
    if (!duration) return std::nullopt;
    late.accept = *duration;
  } else {
    ExpectedError("drop, side_output or 'accept D' after 'late'");
    return std::nullopt;
  }
  return late;
}

}  // namespace rules::internal
