#include "api/registry/ruleset_registry.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "rules/checker.h"
#include "rules/parser.h"

namespace api::registry {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kRulesetsPrefix = "registry/rs/";

std::string RulesetPrefix(std::string_view name) {
  return std::string(kRulesetsPrefix) + std::string(name) + "/";
}

// Ten digits, so that the store's key order is version order.
std::string VersionKey(std::string_view name, uint32_t version) {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%010u", version);
  return RulesetPrefix(name) + "v/" + digits;
}

std::string ActiveKey(std::string_view name) { return RulesetPrefix(name) + "active"; }

std::string_view SeverityName(cep::Severity severity) {
  switch (severity) {
    case cep::Severity::kLow: return "low";
    case cep::Severity::kMedium: return "medium";
    case cep::Severity::kHigh: return "high";
    case cep::Severity::kCritical: return "critical";
    case cep::Severity::kUnspecified: break;
  }
  return "";
}

std::string Plural(size_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

Json EncodeVersion(const StoredVersion& v) {
  Json rules = Json::array();
  for (const RuleSummary& r : v.rules) {
    rules.push_back({{"name", r.name},
                     {"kind", r.kind},
                     {"fingerprint", r.fingerprint},
                     {"severity", r.severity},
                     {"mode", r.mode}});
  }
  return {{"name", v.name},
          {"version", v.version},
          {"source", v.source},
          {"created_ms", v.created_ms},
          {"rules", std::move(rules)}};
}

// nlohmann's typed getters throw on a wrong type; a record of ours that fails
// them is corrupt, which Load reports as kDataLoss.
cep::Result<StoredVersion> DecodeVersion(std::string_view key, std::string_view bytes) {
  try {
    const Json json = Json::parse(bytes);
    StoredVersion v;
    v.name = json.at("name").get<std::string>();
    v.version = json.at("version").get<uint32_t>();
    v.source = json.at("source").get<std::string>();
    v.created_ms = json.at("created_ms").get<int64_t>();
    for (const Json& r : json.at("rules")) {
      v.rules.push_back({r.at("name").get<std::string>(), r.at("kind").get<std::string>(),
                         r.at("fingerprint").get<uint64_t>(), r.at("severity").get<std::string>(),
                         r.at("mode").get<std::string>()});
    }
    return v;
  } catch (const Json::exception& e) {
    return cep::DataLoss("ruleset registry: unreadable record " + std::string(key) + ": " +
                         e.what());
  }
}

Json EncodeActive(const Activation& a) {
  return {{"live", a.live ? Json(*a.live) : Json(nullptr)},
          {"shadow", a.shadow ? Json(*a.shadow) : Json(nullptr)}};
}

cep::Result<Activation> DecodeActive(std::string_view key, std::string_view bytes) {
  try {
    const Json json = Json::parse(bytes);
    Activation a;
    if (!json.at("live").is_null()) a.live = json.at("live").get<uint32_t>();
    if (!json.at("shadow").is_null()) a.shadow = json.at("shadow").get<uint32_t>();
    return a;
  } catch (const Json::exception& e) {
    return cep::DataLoss("ruleset registry: unreadable record " + std::string(key) + ": " +
                         e.what());
  }
}

// What the DSL leaves open but the registry needs: a version that fits the
// key layout and is not 0, and a name short enough for a key.
std::vector<rules::Diagnostic> CheckHeader(const rules::Ruleset& ast) {
  std::vector<rules::Diagnostic> problems;
  const rules::SourceSpan where = rules::Cover(ast.span, ast.name.span);
  if (ast.name.name.size() > kMaxNameBytes) {
    problems.push_back({ast.name.span, "the ruleset's name is longer than " +
                                           std::to_string(kMaxNameBytes) + " characters"});
  }
  if (ast.version < 1 || ast.version > int64_t{kMaxVersion}) {
    problems.push_back({where, "the ruleset's version must be between 1 and " +
                                   std::to_string(kMaxVersion) + ", got " +
                                   std::to_string(ast.version)});
  }
  return problems;
}

const StoredVersion* Below(const std::map<uint32_t, StoredVersion>& versions, uint32_t version) {
  auto it = versions.lower_bound(version);
  if (it == versions.begin()) return nullptr;
  return &std::prev(it)->second;
}

std::optional<uint32_t>* SlotOf(Activation& a, std::string_view mode) {
  if (mode == "live") return &a.live;
  if (mode == "shadow") return &a.shadow;
  return nullptr;
}

}  // namespace

std::string_view RuleChangeName(RuleChange change) {
  switch (change) {
    case RuleChange::kAdded: return "added";
    case RuleChange::kRemoved: return "removed";
    case RuleChange::kChanged: return "changed";
    case RuleChange::kUnchanged: return "unchanged";
  }
  return "unchanged";
}

std::vector<RuleSummary> SummarizeRules(const cep::Program& program) {
  std::vector<RuleSummary> out;
  out.reserve(program.rules.size());
  for (const cep::Rule& rule : program.rules) {
    out.push_back({rule.name, rule.is_pattern() ? "pattern" : "window", rule.fingerprint,
                   std::string(SeverityName(rule.severity)),
                   rule.mode == cep::RuleMode::kShadow ? "shadow" : "live"});
  }
  return out;
}

std::vector<RuleDiff> DiffRules(const std::vector<RuleSummary>& from,
                                const std::vector<RuleSummary>& to) {
  std::vector<RuleDiff> out;
  std::set<std::string_view> in_to;
  for (const RuleSummary& rule : to) {
    in_to.insert(rule.name);
    auto old = std::find_if(from.begin(), from.end(),
                            [&](const RuleSummary& r) { return r.name == rule.name; });
    RuleChange change = RuleChange::kAdded;
    if (old != from.end()) {
      change = old->fingerprint == rule.fingerprint ? RuleChange::kUnchanged : RuleChange::kChanged;
    }
    out.push_back({rule.name, change});
  }
  for (const RuleSummary& rule : from) {
    if (!in_to.contains(rule.name)) out.push_back({rule.name, RuleChange::kRemoved});
  }
  return out;
}

cep::Result<std::unique_ptr<RulesetRegistry>> RulesetRegistry::Open(state::StateStore* store,
                                                                    const cep::Clock* clock) {
  CHECK(store != nullptr && clock != nullptr, "RulesetRegistry needs a store and a clock");
  std::unique_ptr<RulesetRegistry> registry(new RulesetRegistry(store, clock));
  RETURN_IF_ERROR(registry->Load());
  return registry;
}

cep::Status RulesetRegistry::Load() {
  cep::Status problem;
  size_t records = 0;
  std::lock_guard lock(mutex_);
  RETURN_IF_ERROR(store_->Scan(kRulesetsPrefix, [&](std::string_view key, std::string_view value) {
    const std::string_view rest = key.substr(kRulesetsPrefix.size());
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return true;
    const std::string name(rest.substr(0, slash));
    const std::string_view what = rest.substr(slash + 1);
    if (what == "active") {
      auto active = DecodeActive(key, value);
      if (!active) {
        problem = active.error();
        return false;
      }
      rulesets_[name].active = *active;
    } else if (what.starts_with("v/")) {
      auto version = DecodeVersion(key, value);
      if (!version) {
        problem = version.error();
        return false;
      }
      if (version->name != name || VersionKey(name, version->version) != key) {
        problem = cep::DataLoss("ruleset registry: record " + std::string(key) + " holds " +
                                version->name + " version " + std::to_string(version->version));
        return false;
      }
      const uint32_t number = version->version;
      rulesets_[name].versions.emplace(number, std::move(version).value());
    } else {
      spdlog::warn("ruleset registry: ignoring unknown key {}", key);
      return true;
    }
    ++records;
    return true;
  }));
  RETURN_IF_ERROR(problem);
  spdlog::debug("ruleset registry: loaded {} records of {} rulesets", records, rulesets_.size());
  return cep::Status::Ok();
}

cep::Result<rules::CompiledRuleset, std::vector<rules::Diagnostic>> RulesetRegistry::Validate(
    std::string_view text) const {
  // Parse, check and compile as rules::CompileRuleset does, with the registry's
  // header rules in between: the compiler narrows the version to 32 bits.
  auto parsed = rules::Parse(text);
  if (!parsed) return cep::Unexpected(std::move(parsed).error());
  std::vector<rules::Diagnostic> problems = CheckHeader(*parsed);
  auto checked = rules::Check(std::move(parsed).value());
  if (checked) {
    auto compiled = rules::Compile(std::move(checked).value());
    if (compiled && problems.empty()) return compiled;
    if (!compiled) problems.insert(problems.end(), compiled.error().begin(), compiled.error().end());
  } else {
    problems.insert(problems.end(), checked.error().begin(), checked.error().end());
  }
  std::stable_sort(problems.begin(), problems.end(),
                   [](const rules::Diagnostic& a, const rules::Diagnostic& b) {
                     return a.span.offset < b.span.offset;
                   });
  return cep::Unexpected(std::move(problems));
}

cep::Result<PushOutcome, PushError> RulesetRegistry::Push(std::string_view text) {
  // Compile outside the lock: it is the slow part and a pure function.
  auto compiled = Validate(text);
  if (!compiled) {
    const size_t n = compiled.error().size();
    return cep::Unexpected(PushError{PushError::kInvalid,
                                     "the ruleset does not compile: " + Plural(n, "error"),
                                     std::move(compiled).error()});
  }
  const cep::Program& program = *compiled->program;
  const std::string& name = program.ruleset;
  const uint32_t version = program.version;

  std::lock_guard lock(mutex_);
  auto found = rulesets_.find(name);
  if (found != rulesets_.end() && !found->second.versions.empty()) {
    const auto& versions = found->second.versions;
    const uint32_t latest = versions.rbegin()->first;
    const std::string title = name + " version " + std::to_string(version);
    if (auto same = versions.find(version); same != versions.end()) {
      if (same->second.source != text) {
        return cep::Unexpected(PushError{
            PushError::kConflict,
            title + " is already stored with different text; bump the version (the latest is " +
                std::to_string(latest) + ")",
            {}});
      }
      const StoredVersion* previous = Below(versions, version);
      return PushOutcome{same->second, false,
                         previous ? DiffRules(previous->rules, same->second.rules)
                                  : std::vector<RuleDiff>{}};
    }
    if (version < latest) {
      return cep::Unexpected(PushError{
          PushError::kConflict,
          title + " is below the latest stored version " + std::to_string(latest) +
              "; versions only go up (push version " + std::to_string(latest + 1ull) +
              " or higher)",
          {}});
    }
  }

  StoredVersion stored{name, version, std::string(text), clock_->Now().millis(),
                       SummarizeRules(program)};
  state::WriteBatch batch;
  batch.sync = true;
  batch.puts.emplace_back(VersionKey(name, version), EncodeVersion(stored).dump());
  if (cep::Status written = store_->Write(batch); !written.ok()) {
    return cep::Unexpected(PushError{
        PushError::kStorage,
        "storing " + name + " version " + std::to_string(version) + ": " + written.message(),
        {}});
  }
  Ruleset& ruleset = rulesets_[name];
  const StoredVersion* previous = Below(ruleset.versions, version);
  PushOutcome outcome{stored, true,
                      previous ? DiffRules(previous->rules, stored.rules) : std::vector<RuleDiff>{}};
  ruleset.versions.emplace(version, std::move(stored));
  spdlog::info("ruleset registry: stored {} version {} ({})", name, version,
               Plural(outcome.version.rules.size(), "rule"));
  return outcome;
}

RulesetInfo RulesetRegistry::InfoOf(const std::string& name, const Ruleset& ruleset) {
  RulesetInfo info{name, {}, ruleset.active};
  for (const auto& [number, unused] : ruleset.versions) info.versions.push_back(number);
  return info;
}

std::vector<RulesetInfo> RulesetRegistry::List() const {
  std::lock_guard lock(mutex_);
  std::vector<RulesetInfo> out;
  for (const auto& [name, ruleset] : rulesets_) out.push_back(InfoOf(name, ruleset));
  return out;
}

std::optional<RulesetInfo> RulesetRegistry::Info(std::string_view name) const {
  std::lock_guard lock(mutex_);
  auto found = rulesets_.find(name);
  if (found == rulesets_.end()) return std::nullopt;
  return InfoOf(found->first, found->second);
}

std::optional<StoredVersion> RulesetRegistry::Version(std::string_view name,
                                                      uint32_t version) const {
  std::lock_guard lock(mutex_);
  auto found = rulesets_.find(name);
  if (found == rulesets_.end()) return std::nullopt;
  auto it = found->second.versions.find(version);
  if (it == found->second.versions.end()) return std::nullopt;
  return it->second;
}

std::optional<uint32_t> RulesetRegistry::Latest(std::string_view name) const {
  std::lock_guard lock(mutex_);
  auto found = rulesets_.find(name);
  if (found == rulesets_.end() || found->second.versions.empty()) return std::nullopt;
  return found->second.versions.rbegin()->first;
}

cep::Result<std::vector<RuleDiff>> RulesetRegistry::Diff(std::string_view name, uint32_t from,
                                                         uint32_t to) const {
  std::lock_guard lock(mutex_);
  auto found = rulesets_.find(name);
  if (found == rulesets_.end()) return cep::NotFound("no ruleset " + std::string(name));
  const auto& versions = found->second.versions;
  for (uint32_t v : {from, to}) {
    if (!versions.contains(v)) {
      return cep::NotFound(std::string(name) + " has no version " + std::to_string(v));
    }
  }
  return DiffRules(versions.at(from).rules, versions.at(to).rules);
}

cep::Status RulesetRegistry::WriteActive(const std::string& name, const Activation& active) {
  state::WriteBatch batch;
  batch.sync = true;
  batch.puts.emplace_back(ActiveKey(name), EncodeActive(active).dump());
  return store_->Write(batch).WithContext("recording the activation of " + name);
}

cep::Status RulesetRegistry::SetActive(std::string_view name, std::string_view mode,
                                       uint32_t version) {
  std::lock_guard lock(mutex_);
  auto found = rulesets_.find(name);
  if (found == rulesets_.end()) return cep::NotFound("no ruleset " + std::string(name));
  if (!found->second.versions.contains(version)) {
    return cep::NotFound(std::string(name) + " has no version " + std::to_string(version));
  }
  Activation next = found->second.active;
  std::optional<uint32_t>* slot = SlotOf(next, mode);
  if (slot == nullptr) {
    return cep::InvalidArgument("mode must be live or shadow, got '" + std::string(mode) + "'");
  }
  *slot = version;
  RETURN_IF_ERROR(WriteActive(found->first, next));
  found->second.active = next;
  spdlog::info("ruleset registry: {} version {} active ({})", name, version, mode);
  return cep::Status::Ok();
}

cep::Status RulesetRegistry::ClearActive(std::string_view name, std::string_view mode) {
  std::lock_guard lock(mutex_);
  auto found = rulesets_.find(name);
  if (found == rulesets_.end()) return cep::NotFound("no ruleset " + std::string(name));
  Activation next = found->second.active;
  std::optional<uint32_t>* slot = SlotOf(next, mode);
  if (slot == nullptr) {
    return cep::InvalidArgument("mode must be live or shadow, got '" + std::string(mode) + "'");
  }
  if (!slot->has_value()) return cep::Status::Ok();
  slot->reset();
  RETURN_IF_ERROR(WriteActive(found->first, next));
  found->second.active = next;
  spdlog::info("ruleset registry: {} deactivated ({})", name, mode);
  return cep::Status::Ok();
}

cep::Result<rules::CompiledRuleset> RulesetRegistry::Compile(std::string_view name,
                                                            uint32_t version) const {
  std::optional<StoredVersion> stored = Version(name, version);
  if (!stored) {
    return cep::NotFound(std::string(name) + " version " + std::to_string(version) +
                         " is not stored");
  }
  auto compiled = Validate(stored->source);
  if (!compiled) {
    const std::string title = stored->name + " version " + std::to_string(version);
    return cep::FailedPrecondition(title + " no longer compiles:\n" +
                                   rules::FormatDiagnostics(title, stored->source,
                                                            compiled.error()));
  }
  return std::move(compiled).value();
}

}  // namespace api::registry
