#include "api/cli/replay_run.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "api/cli/cli.h"
#include "cep/key_text.h"
#include "engine/runtime/slot_pool.h"
#include "engine/sink/ordered_alert_writer.h"

namespace api {

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// `--progress FILE`: one JSON object, replaced atomically (write a temporary
// file next to it, then rename) so a reader (api/replay_jobs) never sees half of
// one. Written at the start, about every 250 ms while reading, and at the end.
class ProgressFile {
 public:
  explicit ProgressFile(const ReplayOptions& o) : path_(o.progress) {
    std::error_code ec;
    if (!path_.empty() && o.input != "-" && std::filesystem::is_regular_file(o.input, ec)) {
      bytes_total_ = std::filesystem::file_size(o.input, ec);
      if (ec) bytes_total_ = 0;
    }
  }
  // Cheap enough per event: looks at the clock every 4096 events only.
  void MaybeWrite(const engine::ReplayInput& input) {
    if (path_.empty() || ++calls_ % 4096 != 0) return;
    if (Clock::now() - last_ < std::chrono::milliseconds(250)) return;
    Write(input, false);
  }
  void Write(const engine::ReplayInput& input, bool done) {
    if (path_.empty()) return;
    last_ = Clock::now();
    const nlohmann::json json = {{"events", input.events()},
                                 {"bytes_read", input.bytes_read()},
                                 {"bytes_total", bytes_total_},
                                 {"done", done}};
    const std::string tmp = path_ + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << json.dump() << "\n";
      if (!out) return;  // progress is best effort: the replay itself goes on
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path_, ec);
  }

 private:
  std::string path_;
  uint64_t bytes_total_ = 0;  // 0: unknown (stdin, a pipe)
  uint64_t calls_ = 0;
  Clock::time_point last_ = Clock::now();
};

cep::Unexpected<int> Usage(const std::string& message) {
  std::cerr << "cep replay: " << message << "\n";
  return cep::Unexpected(kExitUsage);
}

cep::Unexpected<int> UserError(const std::string& message) {
  std::cerr << "cep replay: " << message << "\n";
  return cep::Unexpected(kExitUserError);
}

// "2018-08-01" (midnight UTC) or an RFC 3339 datetime.
cep::Result<cep::EventTime, int> ParseScoreTime(const char* flag, const std::string& text) {
  auto parsed = cep::ParseIso8601(text);
  if (!parsed) {
    return Usage(std::string(flag) + " " + text + ": expected a date (2018-08-01) or an RFC 3339 " +
                 "datetime (2018-08-01T00:00:00Z): " + parsed.error().message());
  }
  return *parsed;
}

}  // namespace

cep::Result<ReplayFlags, int> ParseReplayFlags(const ReplayOptions& o) {
  ReplayFlags flags;
  auto out_of_orderness = cep::ParseDuration(o.max_out_of_orderness);
  if (!out_of_orderness) return Usage("--max-out-of-orderness: " + out_of_orderness.error().message());
  flags.out_of_orderness = *out_of_orderness;
  auto format = engine::ParseInputFormat(o.format, o.input);
  if (!format) return Usage(format.error().message());
  flags.format = *format;
  if (!o.feedback_delay.empty()) {
    if (o.label_field.empty()) {
      return Usage("--feedback-delay needs --label-field (feedback is made from the labels)");
    }
    auto delay = cep::ParseDuration(o.feedback_delay);
    if (!delay) return Usage("--feedback-delay: " + delay.error().message());
    flags.feedback_delay = *delay;
  }
  if (o.label_scope == "key") {
    flags.scope = engine::LabelScorer::Scope::kKey;
  } else if (o.label_scope != "transaction") {
    return Usage("--label-scope: expected transaction or key, got '" + o.label_scope + "'");
  }
  if (!o.score_from.empty() || !o.score_to.empty()) {
    ScorePeriod period;
    if (!o.score_from.empty()) {
      auto from = ParseScoreTime("--score-from", o.score_from);
      if (!from) return cep::Unexpected(from.error());
      period.from = *from;
      period.from_text = o.score_from;
    }
    if (!o.score_to.empty()) {
      auto to = ParseScoreTime("--score-to", o.score_to);
      if (!to) return cep::Unexpected(to.error());
      period.to = *to;
      period.to_text = o.score_to;
    }
    if (period.from >= period.to) return Usage("--score-from must be before --score-to");
    flags.period = period;
  }
  return flags;
}

cep::Result<ConstOverrides, int> ParseSetFlags(const std::vector<std::string>& set) {
  ConstOverrides overrides;
  for (const std::string& s : set) {
    const size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == s.size()) {
      return Usage("--set " + s + ": expected NAME=VALUE, e.g. --set LARGE=400");
    }
    const std::string name = s.substr(0, eq);
    if (name.find('.') != std::string::npos) {
      return Usage("--set " + s + ": consts belong to the ruleset, not to a rule: write --set " +
                   name.substr(name.rfind('.') + 1) + "=" + s.substr(eq + 1));
    }
    overrides.emplace_back(name, s.substr(eq + 1));
  }
  return overrides;
}

cep::Result<std::string, int> ReadRulesetText(const std::string& path) {
  std::ifstream in(path);
  if (!in) return UserError("cannot read '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

cep::Result<rules::CompiledRuleset, int> CompileForReplay(const std::string& path,
                                                          const std::string& text,
                                                          const ConstOverrides& overrides) {
  rules::CompileOptions options;
  options.const_overrides = overrides;
  auto compiled = rules::CompileRuleset(text, options);
  if (!compiled) {
    std::cerr << rules::FormatDiagnostics(path, text, compiled.error());
    return cep::Unexpected(kExitUserError);
  }
  return std::move(compiled).value();
}

cep::Result<std::unique_ptr<AlertOutput>, int> AlertOutput::Open(const std::string& path) {
  auto out = std::make_unique<AlertOutput>();
  if (path == "-") {
    out->stdout_ = &std::cout;
    return out;
  }
  out->file_.open(path);
  if (!out->file_) return UserError("cannot write '" + path + "'");
  return out;
}

cep::Result<ReplayStream, int> OpenReplayStream(const ReplayOptions& o, const ReplayFlags& flags,
                                                const rules::CompiledRuleset& compiled) {
  const auto& schema = compiled.program->schema;
  ReplayStream stream;
  engine::ReplayInputOptions input_options{o.input, flags.format, o.csv_map, 10,
                                           {o.id_field, compiled.regexes}};
  auto input = engine::ReplayInput::Open(schema, input_options);
  if (!input) return UserError(input.error().message());
  stream.input = std::move(*input);
  if (flags.feedback_delay) {
    auto made = engine::LabelFeedback::Create(schema, *flags.feedback_delay);
    if (!made) return UserError(made.error().message());
    stream.feedback.emplace(std::move(*made));
  }
  if (!o.label_field.empty()) {
    stream.label_slot = schema->Find(o.label_field);
    if (!stream.label_slot) {
      return Usage("--label-field: the schema has no field '" + o.label_field + "'");
    }
  }
  return stream;
}

uint64_t InputSpan::days() const {
  if (!first_ts) return 0;
  return static_cast<uint64_t>(engine::LabelScorer::DayOf(last_ts->millis()) -
                               engine::LabelScorer::DayOf(first_ts->millis()) + 1);
}

engine::LabelScorer::Options ScorerOptions(const cep::Program& program,
                                           engine::LabelScorer::Scope scope,
                                           std::vector<std::vector<cep::SlotIndex>>& groups) {
  engine::LabelScorer::Options options;
  options.scope = scope;
  for (const cep::Rule& rule : program.rules) {
    auto it = std::find(groups.begin(), groups.end(), rule.key_slots);
    if (it == groups.end()) {
      groups.push_back(rule.key_slots);
      std::string name;
      for (size_t i = 0; i < rule.key_slots.size(); ++i) {
        if (i > 0) name += '|';
        name += program.schema->field(rule.key_slots[i]).name;
      }
      options.key_groups.push_back(rule.key_slots.empty() ? "none" : name);
      it = groups.end() - 1;
    }
    engine::LabelScorer::RuleInfo info;
    info.key_group = static_cast<uint32_t>(it - groups.begin());
    if (const auto* pattern = std::get_if<cep::PatternBody>(&rule.body)) {
      if (auto within = pattern->nfa->window()) info.lookback_ms = within->millis();
    } else {
      info.lookback_ms = std::get<cep::WindowBody>(rule.body).spec->size().millis();
    }
    options.rules.emplace(rule.name, info);
  }
  return options;
}

StreamResult RunStream(const ReplayOptions& o, const ReplayFlags& flags, ReplayStream& stream,
                       const std::shared_ptr<const cep::Program>& program,
                       engine::LabelScorer* labels,
                       const std::vector<std::vector<cep::SlotIndex>>& key_groups, bool progress,
                       const std::function<void(const cep::v1::Alert&)>& on_alert) {
  engine::ReplayInput& input = *stream.input;
  const auto start = Clock::now();
  StreamResult result;
  std::vector<std::optional<std::string>> fraud_keys(key_groups.size());
  engine::OrderedAlertWriter writer(on_alert);
  const uint32_t slots = o.threads > 0 ? static_cast<uint32_t>(o.threads)
                                       : std::max(1u, std::thread::hardware_concurrency());
  engine::SlotPool pool(program, {.slots = slots, .queue_capacity = 4096});
  // The collector writes alerts in their documented order as soon as every
  // slot's watermark has passed their ts by the ordering holdback (see
  // SlotPool::ordering_holdback), so the output does not depend on the thread
  // count or on how the slots' progress interleaves.
  std::thread collector([&] {
    engine::SlotPool::Output output;
    const cep::Duration holdback = pool.ordering_holdback();
    for (;;) {
      pool.Collect(output, std::chrono::milliseconds(100));
      for (cep::v1::Alert& alert : output.alerts) writer.Add(std::move(alert));
      output.alerts.clear();
      if (output.finished) break;
      writer.AdvanceTo(output.done - holdback);
    }
    writer.Flush();
  });
  // Automatic watermark (DSL.md): the largest ts seen minus the allowed
  // out-of-orderness minus 1 ms; explicit `_watermark` lines replace it.
  const bool explicit_watermarks = input.has_explicit_watermarks();
  cep::EventTime max_ts = cep::EventTime::Min();
  const bool terminal = progress && isatty(STDERR_FILENO) != 0;
  std::optional<ProgressFile> progress_file;
  if (progress) progress_file.emplace(o);
  if (progress_file) progress_file->Write(input, false);
  engine::ReplayRecord record;
  // Feedback reports due by `up_to` enter before the watermark passes them:
  // on time, like any event (their ts is past every earlier watermark).
  std::vector<std::shared_ptr<const cep::Event>> reports;
  auto route_feedback = [&](cep::EventTime up_to) {
    if (!stream.feedback) return;
    stream.feedback->Release(up_to, reports);
    for (auto& report : reports) pool.Route(std::move(report));
    reports.clear();
  };
  InputSpan& span = result.span;
  while (input.Next(record)) {
    if (record.watermark) {
      if (explicit_watermarks) {
        route_feedback(*record.watermark);
        pool.AdvanceWatermark(*record.watermark);
      }
      continue;
    }
    if (!record.event) continue;
    const cep::EventTime ts = record.event->ts();
    const bool scored = !flags.period || flags.period->Contains(ts.millis());
    if (scored) {
      ++span.events;
      if (!span.first_ts || ts < *span.first_ts) span.first_ts = ts;
      if (!span.last_ts || ts > *span.last_ts) span.last_ts = ts;
    }
    if (stream.label_slot) {
      // Read before the event reaches the rules; rules themselves can never read
      // the label (the checker rejects it), so the backtest cannot peek.
      const cep::Value& label = record.event->field(*stream.label_slot);
      if (label.type() == cep::Type::kInt || label.type() == cep::Type::kBool) {
        const bool fraud = label.type() == cep::Type::kInt ? label.int_value() != 0 : label.bool_value();
        // Feedback comes from every fraud, scored or not: it is what rules know.
        if (fraud && stream.feedback) stream.feedback->Observe(*record.event);
        if (fraud && scored) {
          // Keys (per key group) only for fraud events: genuine ones need none.
          for (size_t g = 0; g < key_groups.size(); ++g) {
            std::string key;
            fraud_keys[g] = cep::AppendEventKey(*record.event, key_groups[g], key)
                                ? std::optional<std::string>(std::move(key))
                                : std::nullopt;
          }
        }
        if (labels != nullptr && scored) {
          labels->ObserveEvent(record.event->id(), fraud, ts.millis(),
                               fraud ? std::span<const std::optional<std::string>>(fraud_keys)
                                     : std::span<const std::optional<std::string>>());
        }
      }
    }
    pool.Route(std::make_shared<const cep::Event>(std::move(*record.event)));
    record.event.reset();
    if (!explicit_watermarks && ts > max_ts) {
      max_ts = ts;
      route_feedback(max_ts);
      pool.AdvanceWatermark(max_ts - flags.out_of_orderness - cep::Duration::Millis(1));
    }
    if (progress_file) progress_file->MaybeWrite(input);
    if (terminal && input.events() % 1'000'000 == 0) {
      std::fprintf(stderr, "\rcep replay: %llu events, %.0f events/s",
                   static_cast<unsigned long long>(input.events()),
                   static_cast<double>(input.events()) / Seconds(start));
    }
  }
  if (terminal) std::fprintf(stderr, "\r");
  result.ok = input.status().ok();
  // End of input: the watermark goes to +infinity, windows close, timeouts
  // fire. On a read error the alerts so far are still written in full.
  if (result.ok) {
    route_feedback(cep::EventTime::Max());  // reports due after the input ends still count
    pool.Finish();
  } else {
    pool.Stop();
  }
  collector.join();
  if (progress_file) progress_file->Write(input, true);
  if (!result.ok) {
    std::cerr << "cep replay: " << o.input << ": " << input.status().message() << " (after "
              << input.events() << " events; alerts so far were written)\n";
  }
  result.seconds = Seconds(start);
  result.stats = pool.stats();
  return result;
}

}  // namespace api
