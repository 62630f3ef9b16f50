#pragma once

#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "api/cli/replay_options.h"
#include "api/proto/alert.pb.h"
#include "cep/base/result.h"
#include "cep/base/time.h"
#include "cep/program.h"
#include "cep/ruleset_runner.h"
#include "engine/replay/label_feedback.h"
#include "engine/replay/label_scorer.h"
#include "engine/replay/replay_input.h"
#include "rules/compiler.h"

namespace api {

// The pieces of one `cep replay` run that a single replay, `--compare` and
// `--sweep` share: flag parsing, compiling, opening the input, and the pass over
// it that feeds a SlotPool and hands back alerts in their documented order.
// Functions returning Result<T, int> have already said on stderr what went
// wrong; the int is the exit code. Threading: the replay's main thread, except
// where a comment says otherwise.

// `--score-from` / `--score-to`: only alerts with ts in [from, to) and only
// labelled events in it are scored and counted per day; the replay itself runs
// over the whole input (earlier events warm windows up).
struct ScorePeriod {
  cep::EventTime from = cep::EventTime::Min();
  cep::EventTime to = cep::EventTime::Max();
  std::string from_text, to_text;  // as given; empty: open on that side
  bool Contains(int64_t ts_ms) const { return ts_ms >= from.millis() && ts_ms < to.millis(); }
};

struct ReplayFlags {
  cep::Duration out_of_orderness;
  engine::InputFormat format = engine::InputFormat::kJsonl;
  engine::LabelScorer::Scope scope = engine::LabelScorer::Scope::kTransaction;
  std::optional<cep::Duration> feedback_delay;
  std::optional<ScorePeriod> period;
};

using ConstOverrides = std::vector<std::pair<std::string, std::string>>;

cep::Result<ReplayFlags, int> ParseReplayFlags(const ReplayOptions& o);
// `--set NAME=VALUE`s (consts belong to the ruleset: a dotted NAME is refused
// with a hint).
cep::Result<ConstOverrides, int> ParseSetFlags(const std::vector<std::string>& set);
cep::Result<std::string, int> ReadRulesetText(const std::string& path);
cep::Result<rules::CompiledRuleset, int> CompileForReplay(const std::string& path,
                                                          const std::string& text,
                                                          const ConstOverrides& overrides);

// `--alerts`: a file, or stdout for "-".
class AlertOutput {
 public:
  static cep::Result<std::unique_ptr<AlertOutput>, int> Open(const std::string& path);
  std::ostream& stream() { return file_.is_open() ? file_ : *stdout_; }

 private:
  std::ofstream file_;
  std::ostream* stdout_ = nullptr;
};

// The input opened for a program's schema, with label feedback and the label slot.
struct ReplayStream {
  std::unique_ptr<engine::ReplayInput> input;
  std::optional<engine::LabelFeedback> feedback;
  std::optional<cep::SlotIndex> label_slot;  // with --label-field
};
cep::Result<ReplayStream, int> OpenReplayStream(const ReplayOptions& o, const ReplayFlags& flags,
                                                const rules::CompiledRuleset& compiled);

// The events of the score period (the whole input without one).
struct InputSpan {
  std::optional<cep::EventTime> first_ts, last_ts;
  uint64_t events = 0;
  // UTC days from the first to the last event, inclusive; 0 when none.
  uint64_t days() const;
};

// What the scorer needs to know of the rules: the distinct key field lists
// (key groups, returned in `groups`) and, per rule, its group and lookback
// (window size or session gap; a pattern's `within`).
engine::LabelScorer::Options ScorerOptions(const cep::Program& program,
                                           engine::LabelScorer::Scope scope,
                                           std::vector<std::vector<cep::SlotIndex>>& groups);

struct StreamResult {
  bool ok = false;  // false: reading stopped early (already said on stderr)
  double seconds = 0;
  cep::RunnerStats stats;
  InputSpan span;
};

// One pass over the input through `program` on a SlotPool of --threads slots.
// Every labelled event of the score period goes to `labels` (nullptr: none)
// with its keys per `key_groups`; every alert, in the documented order
// (engine::AlertOrderLess), to `on_alert`, called on a collector thread.
// `progress`: write --progress and the terminal counter.
StreamResult RunStream(const ReplayOptions& o, const ReplayFlags& flags, ReplayStream& stream,
                       const std::shared_ptr<const cep::Program>& program,
                       engine::LabelScorer* labels,
                       const std::vector<std::vector<cep::SlotIndex>>& key_groups, bool progress,
                       const std::function<void(const cep::v1::Alert&)>& on_alert);

}  // namespace api
