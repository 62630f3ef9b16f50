#include "engine/replay/sweep_program.h"

#include <algorithm>
#include <cctype>

#include "engine/sink/alert_id.h"
#include "rules/parser.h"
#include "rules/printer.h"

namespace engine {

namespace {

bool SameLayout(const cep::Program& a, const cep::Program& b) {
  if (a.rules.size() != b.rules.size() || a.regex.words != b.regex.words) return false;
  if (a.schema->size() != b.schema->size()) return false;
  for (size_t i = 0; i < a.schema->size(); ++i) {
    const auto slot = static_cast<cep::SlotIndex>(i);
    if (a.schema->field(slot).name != b.schema->field(slot).name ||
        a.schema->field(slot).type != b.schema->field(slot).type) {
      return false;
    }
  }
  for (size_t i = 0; i < a.rules.size(); ++i) {
    if (a.rules[i].name != b.rules[i].name || a.rules[i].key_slots != b.rules[i].key_slots ||
        a.rules[i].is_pattern() != b.rules[i].is_pattern()) {
      return false;
    }
  }
  return true;
}

}  // namespace

cep::Result<SweepProgram> SweepProgram::Merge(
    const std::vector<std::shared_ptr<const cep::Program>>& variants,
    const std::vector<bool>& depends) {
  if (variants.empty()) return cep::InvalidArgument("a sweep needs at least one variant");
  const cep::Program& base = *variants.front();
  if (depends.size() != base.rules.size()) {
    return cep::InvalidArgument("a sweep's rule list does not match its ruleset");
  }
  for (const auto& variant : variants) {
    if (!SameLayout(base, *variant)) {
      return cep::FailedPrecondition(
          "the sweep's variants differ in rules, schema or regexes: they cannot share one pass");
    }
  }
  SweepProgram out;
  out.variants_ = variants.size();
  out.depends_ = depends;
  auto merged = std::make_shared<cep::Program>();
  merged->ruleset = base.ruleset;
  merged->version = base.version;
  merged->schema = base.schema;
  merged->regex = base.regex;
  for (size_t i = 0; i < base.rules.size(); ++i) {
    out.names_.push_back(base.rules[i].name);
    out.first_.push_back(merged->rules.size());
    if (!depends[i]) {
      ++out.shared_;
      out.by_merged_name_.emplace(base.rules[i].name, Origin{i, std::nullopt});
      merged->rules.push_back(base.rules[i]);
      continue;
    }
    for (size_t v = 0; v < variants.size(); ++v) {
      cep::Rule rule = variants[v]->rules[i];
      rule.name += "#" + std::to_string(v);
      out.by_merged_name_.emplace(rule.name, Origin{i, static_cast<uint32_t>(v)});
      merged->rules.push_back(std::move(rule));
    }
  }
  out.merged_ = std::move(merged);
  return out;
}

size_t SweepProgram::MergedIndex(size_t rule, size_t variant) const {
  return depends_[rule] ? first_[rule] + variant : first_[rule];
}

std::optional<SweepProgram::Origin> SweepProgram::Find(const std::string& merged_rule) const {
  auto it = by_merged_name_.find(merged_rule);
  if (it == by_merged_name_.end()) return std::nullopt;
  return it->second;
}

void SweepProgram::SplitAlert(cep::v1::Alert& alert, const Origin& origin) const {
  if (!origin.variant) return;
  alert.set_rule(names_[origin.rule]);
  alert.set_alert_id(ComputeAlertId(alert));
}

std::vector<bool> RulesNamingConsts(std::string_view ruleset_text,
                                    const std::vector<std::string>& consts) {
  auto parsed = rules::Parse(ruleset_text);
  if (!parsed) return {};
  std::vector<bool> out;
  for (const rules::Rule& rule : parsed->rules) {
    const std::string text = rules::PrintRule(rule);
    bool names = false;
    for (size_t i = 0; i < text.size() && !names;) {
      const auto c = static_cast<unsigned char>(text[i]);
      if (std::isalpha(c) == 0 && c != '_') {
        ++i;
        continue;
      }
      size_t end = i;
      while (end < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[end])) != 0 || text[end] == '_')) {
        ++end;
      }
      const std::string_view word(text.data() + i, end - i);
      names = std::find(consts.begin(), consts.end(), word) != consts.end();
      i = end;
    }
    out.push_back(names);
  }
  return out;
}

}  // namespace engine
