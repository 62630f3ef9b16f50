#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cep/base/clock.h"
#include "cep/base/result.h"
#include "cep/base/status.h"
#include "rules/compiler.h"
#include "rules/diagnostic.h"
#include "state/state_store.h"

namespace api::registry {

// One rule of a stored version, as the API lists it.
struct RuleSummary {
  std::string name;
  std::string kind;  // "pattern" | "window"
  // cep::Rule::fingerprint: equal fingerprints mean the same compiled rule, so a
  // hot swap may keep its state.
  uint64_t fingerprint = 0;
  std::string severity;  // "low" | "medium" | "high" | "critical", "" when not given
  std::string mode;      // the rule's own `mode`: "live" | "shadow"

  friend bool operator==(const RuleSummary&, const RuleSummary&) = default;
};

// An immutable version of a ruleset: the text as uploaded and what it compiled to.
struct StoredVersion {
  std::string name;
  uint32_t version = 0;
  std::string source;
  int64_t created_ms = 0;  // wall time of the push that stored it
  std::vector<RuleSummary> rules;

  friend bool operator==(const StoredVersion&, const StoredVersion&) = default;
};

// Which versions of a ruleset run, if any: one live and one shadow at most.
struct Activation {
  std::optional<uint32_t> live;
  std::optional<uint32_t> shadow;

  friend bool operator==(const Activation&, const Activation&) = default;
};

struct RulesetInfo {
  std::string name;
  std::vector<uint32_t> versions;  // ascending
  Activation active;
};

enum class RuleChange { kAdded, kRemoved, kChanged, kUnchanged };
// "added" | "removed" | "changed" | "unchanged" (the API's spelling).
std::string_view RuleChangeName(RuleChange change);

// What happened to one rule between two versions, by rule name: kChanged when
// its fingerprint differs.
struct RuleDiff {
  std::string rule;
  RuleChange change = RuleChange::kUnchanged;

  friend bool operator==(const RuleDiff&, const RuleDiff&) = default;
};

struct PushOutcome {
  StoredVersion version;
  // false: this very text was already stored as this version (the push is
  // idempotent, nothing was written).
  bool created = false;
  // Against the highest stored version below this one; empty for a first version.
  std::vector<RuleDiff> diff_from_previous;
};

struct PushError {
  enum Kind {
    kInvalid,   // the text does not compile: `diagnostics` has every problem (HTTP 422)
    kConflict,  // the version is taken or below the latest (HTTP 409)
    kStorage,   // the store failed (HTTP 500/503); nothing is known to be stored
  };
  Kind kind = kInvalid;
  std::string message;
  std::vector<rules::Diagnostic> diagnostics;
};

// Versions the registry accepts: 1 .. kMaxVersion (stored as 10 digits).
inline constexpr uint32_t kMaxVersion = UINT32_MAX;
// Longest ruleset name (the DSL's identifier rule applies too).
inline constexpr size_t kMaxNameBytes = 128;

// The ruleset registry: every uploaded ruleset version, immutable and durable,
// and which version of each ruleset is active live and in shadow. It keeps the
// books only: the caller (the REST handlers) swaps the engine and then records
// the activation here.
//
// Version rules:
//  - The version of a push is the one its text declares (`ruleset NAME version N`).
//  - Same name and version, byte-equal text: success, created == false (idempotent).
//  - Same name and version, other text: kConflict; versions are immutable.
//  - A version below the highest stored one: kConflict (versions only go up),
//    unless that version is stored with byte-equal text (then idempotent).
//  - Text that does not compile, a version of 0 or above kMaxVersion, a name
//    longer than kMaxNameBytes: kInvalid with every diagnostic; nothing stored.
//  - Text size is capped by the parser (rules::ParseLimits) and the HTTP layer.
//
// Storage (state/state_store.h; every write with sync = true), under "registry/":
//   registry/rs/<name>/v/<version as 10 digits>  JSON {name, version, source, created_ms, rules}
//   registry/rs/<name>/active                    JSON {live: N|null, shadow: N|null}
// Open() reads all of it into memory, so reads never touch the store.
//
// Threading: safe to share; every method may be called from any thread. One
// mutex guards the books; compilation runs outside it.
class RulesetRegistry {
 public:
  // Loads what `store` holds under "registry/". `store` and `clock` are borrowed
  // and must outlive the registry. Fails with kDataLoss naming the key when a
  // stored record is unreadable, or with the store's error.
  static cep::Result<std::unique_ptr<RulesetRegistry>> Open(state::StateStore* store,
                                                            const cep::Clock* clock);

  // Compiles the text as Push would, storing nothing.
  cep::Result<rules::CompiledRuleset, std::vector<rules::Diagnostic>> Validate(
      std::string_view text) const;

  // Compiles and stores the text as a new version (rules above).
  cep::Result<PushOutcome, PushError> Push(std::string_view text);

  // Every ruleset, by name.
  std::vector<RulesetInfo> List() const;
  std::optional<RulesetInfo> Info(std::string_view name) const;
  std::optional<StoredVersion> Version(std::string_view name, uint32_t version) const;
  // The highest stored version, nullopt for an unknown name.
  std::optional<uint32_t> Latest(std::string_view name) const;

  // Rules of `to` compared with `from`, by rule name: the rules of `to` in their
  // order (added, changed, unchanged), then those only in `from` (removed).
  // kNotFound for an unknown name or version.
  cep::Result<std::vector<RuleDiff>> Diff(std::string_view name, uint32_t from, uint32_t to) const;

  // Records an activation (the caller has already swapped the engine). `mode`:
  // "live" | "shadow" (else kInvalidArgument); kNotFound for an unknown version.
  cep::Status SetActive(std::string_view name, std::string_view mode, uint32_t version);
  // Records that nothing runs in `mode` any more; OK when nothing was active.
  // kNotFound for an unknown name, kInvalidArgument for a bad mode.
  cep::Status ClearActive(std::string_view name, std::string_view mode);

  // Compiles a stored version again (for activation and at start-up).
  // kNotFound for an unknown version; kFailedPrecondition (with the diagnostics)
  // when stored text no longer compiles, e.g. after a language change.
  cep::Result<rules::CompiledRuleset> Compile(std::string_view name, uint32_t version) const;

 private:
  struct Ruleset {
    std::map<uint32_t, StoredVersion> versions;
    Activation active;
  };

  RulesetRegistry(state::StateStore* store, const cep::Clock* clock)
      : store_(store), clock_(clock) {}

  cep::Status Load();
  cep::Status WriteActive(const std::string& name, const Activation& active);
  static RulesetInfo InfoOf(const std::string& name, const Ruleset& ruleset);

  state::StateStore* const store_;
  const cep::Clock* const clock_;

  mutable std::mutex mutex_;
  std::map<std::string, Ruleset, std::less<>> rulesets_;  // guarded by mutex_
};

// Summaries of the rules of a compiled program, in program order.
std::vector<RuleSummary> SummarizeRules(const cep::Program& program);

// The rule-by-rule comparison Diff() makes, on two rule lists.
std::vector<RuleDiff> DiffRules(const std::vector<RuleSummary>& from,
                                const std::vector<RuleSummary>& to);

}  // namespace api::registry
