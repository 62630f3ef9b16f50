#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/proto/alert.pb.h"
#include "cep/base/result.h"
#include "cep/program.h"

namespace engine {

// "One decode, many rule variants" for `cep replay --sweep` (issue #7): the
// variants of a sweep are compilations of one ruleset text with different
// const values. Rules that read no swept const compile the same in every
// variant and run once; the others run once per variant. All of them go into
// ONE merged program, so one SlotPool decodes and routes each event once and
// every rule variant sees it.
//
// Why not Rule::fingerprint to tell the two kinds apart: it hashes every const
// of the ruleset, so it differs between variants for every rule. A rule depends
// on a const exactly when it names it (consts are literals; a rule reads one
// only by its name), which RulesNamingConsts tells from the rule's text.
//
// In the merged program a shared rule keeps its name; a variant rule is renamed
// "<name>#<variant>" (rule names are identifiers, so no real rule has a '#').
// SplitAlert maps an alert of the merged program back: its variant (none for a
// shared rule: it counts for every variant), with the rule's own name and the
// alert id a run of that variant alone gives it.
//
// Immutable once built; safe to share between threads.
class SweepProgram {
 public:
  // `variants[v]`: variant v's program, compiled from the same text (so the
  // same rules in the same order); `depends[i]`: rule i names a swept const.
  // Fails when the variants differ in rules, schema or regex slots (a swept
  // const that changes the event layout cannot share one decode).
  static cep::Result<SweepProgram> Merge(
      const std::vector<std::shared_ptr<const cep::Program>>& variants,
      const std::vector<bool>& depends);

  const std::shared_ptr<const cep::Program>& program() const { return merged_; }
  size_t variants() const { return variants_; }
  // How many rules run once for all variants.
  size_t shared_rules() const { return shared_; }

  // Where rule `rule` (index into a variant's program) of variant `variant`
  // runs in the merged program.
  size_t MergedIndex(size_t rule, size_t variant) const;

  struct Origin {
    size_t rule = 0;                 // index in each variant's program
    std::optional<uint32_t> variant;  // nullopt: shared by every variant
  };
  // The origin of an alert's rule; nullopt for a name the merged program lacks.
  std::optional<Origin> Find(const std::string& merged_rule) const;
  // Renames the alert of a variant rule to the rule's own name and recomputes
  // its alert id; a shared rule's alert is left as it is.
  void SplitAlert(cep::v1::Alert& alert, const Origin& origin) const;

 private:
  std::shared_ptr<const cep::Program> merged_;
  std::vector<std::string> names_;  // by rule index: the rule's own name
  // By rule index: its merged index (shared) or the first of its variants'.
  std::vector<size_t> first_;
  std::vector<bool> depends_;
  std::unordered_map<std::string, Origin> by_merged_name_;
  size_t variants_ = 0;
  size_t shared_ = 0;
};

// Which rules of `ruleset_text` name any of `consts`, by rule index: whether
// an identifier in the rule's canonical text (rules::PrintRule) equals one of
// them. Conservative: a name in a string literal also counts (the rule then
// runs per variant, correct but slower). Empty for a text that does not parse.
std::vector<bool> RulesNamingConsts(std::string_view ruleset_text,
                                    const std::vector<std::string>& consts);

}  // namespace engine
