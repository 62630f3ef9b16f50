// `cep bench`: the service's throughput without and with Kafka, alert latency
// through the embedded broker, and checkpoints of many keys to RocksDB
// (engine/bench/pipeline_bench.h does the measuring; this file parses options,
// prints the table and writes JSON).
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "api/cli/cli.h"
#include "api/cli/command.h"
#include "api/cli/service_launch.h"
#include "api/demo/embedded_rulesets.h"
#include "api/system_clock.h"
#include "engine/bench/pipeline_bench.h"

namespace api {
namespace {

constexpr const char* kDefaultRules = "tests/bench/bench_50_rules.rules";
constexpr uint64_t kEngineEvents = 1'000'000;
// What 8 partitions of the embedded broker keep (5 MiB each) with room to
// spare: generated records are ~130 bytes, ~190 with Kafka's record overhead.
constexpr uint64_t kKafkaEvents = 150'000;
// Records kept in memory for the latency run (~250 bytes each with the key).
constexpr uint64_t kMaxLatencyRecords = 4'000'000;
// The checkpoint run's rules unless --rules: rulesets/velocity.rules' spend_30m
// alone, a `last 30m` window keyed by account (issue #5 asks for 1,000,000 keys
// of `last 30m` windows).
constexpr const char* kCheckpointRulesName = "velocity.rules spend_30m (built in)";
constexpr const char* kCheckpointRules = R"(ruleset velocity version 1

schema transaction

rule spend_30m {
  severity medium
  key account_id
  where kind == "purchase"
  window last 30m
  when count() >= 5 and sum(amount) > 2000
  suppress 15m
  emit { purchases: count(), total: sum(amount) }
}
)";
// What the issue asks of a checkpoint.
constexpr double kPauseTargetMs = 50;
constexpr double kCheckpointTargetS = 5;

struct BenchOptions {
  std::string mode = "all";
  uint64_t events = 0;  // 0: per mode (kEngineEvents, kKafkaEvents)
  std::vector<std::string> rules;
  uint32_t slots = 2;
  int partitions = 8;
  double rate = 0;  // 0: half the kafka run's rate
  std::string duration = "20s";
  uint64_t seed = 42;
  uint32_t accounts = 10'000;
  std::string alert_format = "protobuf";
  std::string json;
  size_t watermark_every = 1024;
  std::vector<std::string> consumer_set;  // KEY=VALUE librdkafka properties
  std::vector<std::string> producer_set;
  std::string checkpoint_interval = "0s";  // kafka run: checkpoints to RocksDB; 0s: none
  uint64_t keys = 1'000'000;               // checkpoint run: distinct accounts
};

cep::Result<std::map<std::string, std::string>> ParseSettings(const std::vector<std::string>& pairs,
                                                              std::string_view flag) {
  std::map<std::string, std::string> settings;
  for (const std::string& pair : pairs) {
    const size_t eq = pair.find('=');
    if (eq == 0 || eq == std::string::npos) {
      return cep::Unexpected(cep::InvalidArgument(std::string(flag) + ": '" + pair +
                                                  "' is not KEY=VALUE"));
    }
    settings[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  return settings;
}

void Progress(std::string_view line) {
  std::fprintf(stderr, "cep bench: %.*s\n", static_cast<int>(line.size()), line.data());
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return in ? one + " " + five + " " + fifteen : "?";
}

cep::Result<std::vector<RulesetSource>> RulesetSources(const BenchOptions& o) {
  if (!o.rules.empty()) return ReadRulesetFiles(o.rules);
  if (std::filesystem::exists(kDefaultRules)) return ReadRulesetFiles({kDefaultRules});
  std::vector<RulesetSource> sources;
  for (const EmbeddedRuleset& r : EmbeddedRulesets()) {
    sources.push_back({"rulesets/" + std::string(r.file), std::string(r.text)});
  }
  return sources;
}

double Cpu(const engine::bench::Timing& t) { return t.cpu_user_s + t.cpu_sys_s; }

nlohmann::json TimingJson(const engine::bench::Timing& t, uint64_t events) {
  return {{"wall_s", t.wall_s},
          {"cpu_user_s", t.cpu_user_s},
          {"cpu_sys_s", t.cpu_sys_s},
          {"events_per_s", t.events_per_s(events)},
          {"cpu_us_per_event", events > 0 ? Cpu(t) * 1e6 / static_cast<double>(events) : 0}};
}

void PrintRow(std::string_view what, const std::string& figure) {
  fmt::print("  {:<40} {}\n", what, figure);
}

std::string RateLine(const engine::bench::Timing& t, uint64_t events) {
  return fmt::format(
      "{:.0f} events/s  ({} events, {:.3f} s wall, CPU {:.2f} s user + {:.2f} s sys = {:.2f} "
      "cores, {:.2f} us/event)",
      t.events_per_s(events), events, t.wall_s, t.cpu_user_s, t.cpu_sys_s,
      t.wall_s > 0 ? Cpu(t) / t.wall_s : 0,
      events > 0 ? Cpu(t) * 1e6 / static_cast<double>(events) : 0);
}

void PrintEngine(const engine::bench::EngineBenchResult& r) {
  fmt::print("engine (in-memory protobuf records -> decode -> SlotPool -> alerts serialized)\n");
  PrintRow("throughput", RateLine(r.timing, r.events));
  PrintRow("alerts", fmt::format("{} ({} bytes serialized)", r.alerts, r.alert_bytes));
  PrintRow("late / decode errors / queue-full waits",
           fmt::format("{} / {} / {}", r.late, r.decode_errors, r.backpressure_waits));
  PrintRow("live (key group, key) states", std::to_string(r.keys));
}

void PrintKafka(const engine::bench::KafkaBenchResult& r) {
  fmt::print("kafka (embedded broker -> Service: consume, decode, rules, alerts produced)\n");
  PrintRow("throughput (first record to flushed)", RateLine(r.service, r.events));
  PrintRow("consumed (first record to last)",
           fmt::format("{:.3f} s ({:.0f} events/s); Stop (drain, flush, commit) {:.3f} s",
                       r.consume_s,
                       r.consume_s > 0 ? static_cast<double>(r.events) / r.consume_s : 0,
                       r.stop_s));
  PrintRow("group join before first record", fmt::format("{:.2f} s", r.group_join_s));
  PrintRow("pre-produce (producer -> broker)", RateLine(r.produce, r.records));
  PrintRow("read back (plain consumer, no group)", RateLine(r.read_back, r.read_back_records));
  std::string offsets;
  for (size_t p = 0; p < r.end_offsets.size(); ++p) {
    offsets += fmt::format("{}{}..{}", p > 0 ? " " : "", r.first_offsets[p], r.end_offsets[p]);
  }
  PrintRow("input offsets per partition", offsets + " (all from 0: nothing dropped)");
  PrintRow("alerts produced / in topic", fmt::format("{} / {}", r.alerts, r.alerts_in_topic));
  PrintRow("late / dead letters / produce errors",
           fmt::format("{} / {} / {}", r.late, r.dead_letters, r.produce_errors));
  if (r.checkpoints.completed + r.checkpoints.failed > 0) {
    PrintRow("checkpoints (RocksDB)",
             fmt::format("{} complete, {} failed; last: {} bytes in {} ms, longest slot pause {} us",
                         r.checkpoints.completed, r.checkpoints.failed, r.checkpoints.last_bytes,
                         r.checkpoints.last_duration.count(), r.checkpoints.last_longest_pause.count()));
  }
}

std::string LagLine(const engine::bench::WatermarkLag& lag) {
  return fmt::format("watermark lag p50 / p99 / max {:.2f} / {:.2f} / {:.2f} ms ({} watermarks)",
                     lag.p50_ms, lag.p99_ms, lag.max_ms, lag.count);
}

void PrintCheckpointRun(const engine::bench::CheckpointRun& r, uint64_t keys) {
  PrintRow("  before, no checkpoint", RateLine(r.before, r.before_events));
  PrintRow("", LagLine(r.before_lag));
  PrintRow("  during the checkpoint", RateLine(r.during, r.during_events));
  PrintRow("", LagLine(r.during_lag));
  const double duration_s = static_cast<double>(r.figures.last_duration.count()) / 1e3;
  const double pause_ms = static_cast<double>(r.figures.last_longest_pause.count()) / 1e3;
  PrintRow("  duration (barrier to manifest)",
           fmt::format("{:.3f} s (target < {:.0f} s: {})", duration_s, kCheckpointTargetS,
                       duration_s < kCheckpointTargetS ? "met" : "MISSED"));
  PrintRow("  longest slot pause (coordinator)",
           fmt::format("{:.2f} ms (target < {:.0f} ms: {})", pause_ms, kPauseTargetMs,
                       pause_ms < kPauseTargetMs ? "met" : "MISSED"));
  PrintRow("  state written",
           fmt::format("{} bytes ({:.1f} bytes/key)", r.figures.last_bytes,
                       keys > 0 ? static_cast<double>(r.figures.last_bytes) /
                                      static_cast<double>(keys)
                                : 0));
}

void PrintCheckpoint(const engine::bench::CheckpointBenchResult& r) {
  fmt::print("checkpoint (SlotPool of {} accounts -> CheckpointCoordinator -> RocksDB; restart)\n",
             r.accounts);
  PrintRow("load (one purchase per account)", RateLine(r.load, r.load_events));
  PrintRow("checkpoint 1, routing unpaced", "");
  PrintCheckpointRun(r.unpaced, r.keys_before);
  PrintRow(fmt::format("checkpoint 2, routing {:.0f} events/s", r.paced.rate), "");
  PrintCheckpointRun(r.paced, r.keys_before);
  PrintRow("RocksDB after checkpoint 2",
           fmt::format("~{} bytes on disk, {} stream(s)", r.store_bytes, r.streams));
  PrintRow("restart: open / verify / restore = total",
           fmt::format("{:.3f} / {:.3f} / {:.3f} = {:.3f} s", r.open_s, r.verify_s, r.restore_s,
                       r.restart_s));
  PrintRow("keys checkpointed / restored / live after",
           fmt::format("{} / {} / {}", r.keys_before, r.keys_restored, r.keys_after));
  PrintRow("alerts / peak RSS", fmt::format("{} / {} MiB", r.alerts, r.max_rss_kb / 1024));
  const engine::bench::SnapshotSteps& a = r.alone;
  PrintRow("one slot's snapshot alone (one thread)",
           fmt::format("{} keys, {} bytes in {:.3f} s: {} steps of 2048 keys, p50 / p99 / max "
                       "{:.2f} / {:.2f} / {:.2f} ms; BeginSnapshot {:.2f} ms",
                       a.keys, a.bytes, a.total_s, a.steps, a.p50_ms, a.p99_ms, a.max_ms,
                       a.begin_ms));
}

nlohmann::json LagJson(const engine::bench::WatermarkLag& lag) {
  return {{"watermarks", lag.count},
          {"p50_ms", lag.p50_ms},
          {"p99_ms", lag.p99_ms},
          {"max_ms", lag.max_ms}};
}

nlohmann::json CheckpointRunJson(const engine::bench::CheckpointRun& r) {
  const double duration_s = static_cast<double>(r.figures.last_duration.count()) / 1e3;
  const double pause_ms = static_cast<double>(r.figures.last_longest_pause.count()) / 1e3;
  return {{"rate", r.rate},
          {"before", TimingJson(r.before, r.before_events)},
          {"before_watermark_lag", LagJson(r.before_lag)},
          {"during", TimingJson(r.during, r.during_events)},
          {"during_watermark_lag", LagJson(r.during_lag)},
          {"duration_s", duration_s},
          {"longest_slot_pause_ms", pause_ms},
          {"state_bytes", r.figures.last_bytes},
          {"duration_target_met", duration_s < kCheckpointTargetS},
          {"pause_target_met", pause_ms < kPauseTargetMs}};
}

void PrintLatency(const engine::bench::LatencyBenchResult& r, double rate) {
  fmt::print("latency (paced producer -> broker -> Service -> alerts topic -> reader)\n");
  PrintRow("rate asked / achieved",
           fmt::format("{:.0f} / {:.0f} events/s ({} events in {:.2f} s)", rate, r.achieved_rate,
                       r.produced, r.produce_s));
  PrintRow("alert latency p50 / p90 / p99 / max",
           fmt::format("{:.2f} / {:.2f} / {:.2f} / {:.2f} ms (mean {:.2f} ms)", r.p50_ms,
                       r.p90_ms, r.p99_ms, r.max_ms, r.mean_ms));
  PrintRow("alerts measured / read / without event",
           fmt::format("{} / {} / {}", r.measured, r.alerts_read, r.without_event));
  PrintRow("CPU during the run",
           fmt::format("{:.2f} s user + {:.2f} s sys = {:.2f} cores", r.timing.cpu_user_s,
                       r.timing.cpu_sys_s, r.timing.wall_s > 0 ? Cpu(r.timing) / r.timing.wall_s : 0));
}

int RunBench(const BenchOptions& o) {
  auto duration = cep::ParseDuration(o.duration);
  if (!duration || duration->millis() <= 0) {
    std::cerr << "cep bench: --duration: "
              << (duration ? "must be > 0" : duration.error().message()) << "\n";
    return kExitUsage;
  }
  auto checkpoint_interval = cep::ParseDuration(o.checkpoint_interval);
  if (!checkpoint_interval || checkpoint_interval->millis() < 0) {
    std::cerr << "cep bench: --checkpoint-interval: "
              << (checkpoint_interval ? "must be >= 0" : checkpoint_interval.error().message())
              << "\n";
    return kExitUsage;
  }
  auto consumer_settings = ParseSettings(o.consumer_set, "--consumer-set");
  auto producer_settings = ParseSettings(o.producer_set, "--producer-set");
  if (!consumer_settings || !producer_settings) {
    std::cerr << "cep bench: "
              << (consumer_settings ? producer_settings.error() : consumer_settings.error()).message()
              << "\n";
    return kExitUsage;
  }
  // What `cep serve` uses against the embedded broker (api/cli/service_launch.cc):
  // the mock holds a fetch for all of fetch.wait.max.ms. --consumer-set wins.
  consumer_settings->try_emplace("fetch.wait.max.ms", "5");
  const engine::bench::KafkaTuning tuning{*consumer_settings, *producer_settings};
  const bool all = o.mode == "all";
  const bool run_engine = all || o.mode == "engine";
  const bool run_kafka = all || o.mode == "kafka" || (o.mode == "latency" && o.rate <= 0);
  const bool run_latency = all || o.mode == "latency";
  const bool run_checkpoint = all || o.mode == "checkpoint";

  // The checkpoint run has rules of its own (one ruleset); the others the benchmark rules.
  const bool only_checkpoint = o.mode == "checkpoint";
  auto checkpoint_sources =
      o.rules.empty() ? cep::Result<std::vector<RulesetSource>>(std::vector<RulesetSource>{
                            {kCheckpointRulesName, kCheckpointRules}})
                      : ReadRulesetFiles({o.rules.front()});
  std::vector<rules::CompiledRuleset> checkpoint_rules;
  if (run_checkpoint && !only_checkpoint) {
    if (!checkpoint_sources) {
      std::cerr << "cep bench: " << checkpoint_sources.error().message() << "\n";
      return kExitUserError;
    }
    auto compiled_checkpoint = CompileRulesets(*checkpoint_sources);
    if (!compiled_checkpoint) return kExitUserError;
    checkpoint_rules = std::move(*compiled_checkpoint);
  }
  auto sources = only_checkpoint ? std::move(checkpoint_sources) : RulesetSources(o);
  if (!sources) {
    std::cerr << "cep bench: " << sources.error().message() << "\n";
    return kExitUserError;
  }
  auto compiled = CompileRulesets(*sources);
  if (!compiled) return kExitUserError;
  if (only_checkpoint) checkpoint_rules = *compiled;
  size_t rule_count = 0;
  std::string names;
  for (size_t i = 0; i < compiled->size(); ++i) {
    rule_count += (*compiled)[i].program->rules.size();
    names += (i > 0 ? ", " : "") + (*sources)[i].name;
  }
  const std::string load_before = LoadAverage();
  std::fprintf(stderr, "cep bench: %zu rules from %s; load average %s on %u cores\n", rule_count,
               names.c_str(), load_before.c_str(), std::thread::hardware_concurrency());

  engine::GenOptions gen;
  gen.seed = o.seed;
  gen.accounts = o.accounts;
  const uint64_t engine_events = o.events > 0 ? o.events : kEngineEvents;
  const uint64_t kafka_events = o.events > 0 ? o.events : kKafkaEvents;
  nlohmann::json report = {{"rules", names},         {"rule_count", rule_count},
                           {"slots", o.slots},       {"partitions", o.partitions},
                           {"seed", o.seed},         {"accounts", o.accounts},
                           {"alert_format", o.alert_format},
                           {"cores", std::thread::hardware_concurrency()},
                           {"consumer_settings", tuning.consumer},
                           {"producer_settings", tuning.producer},
                           {"load_average_before", load_before}};
  const bool json_alerts = o.alert_format == "json";
  SystemClock clock;
  std::vector<engine::bench::InputRecord> records;
  std::vector<uint64_t> ids;
  auto ensure_records = [&](uint64_t n) {
    if (records.size() >= n) return;
    Progress("generating " + std::to_string(n) + " transactions (untimed)");
    records = engine::bench::GenerateRecords(gen, n, &ids);
  };
  auto prefix = [&](uint64_t n) {
    return std::span<const engine::bench::InputRecord>(records).first(n);
  };
  int exit_code = kExitOk;

  if (only_checkpoint) {
    fmt::print("cep bench: {} rules ({}), {} slot(s), {} keys\n", rule_count, names, o.slots,
               o.keys);
  } else {
    fmt::print("cep bench: {} rules ({}), {} slot(s) per ruleset, seed {}, {} accounts\n",
               rule_count, names, o.slots, o.seed, o.accounts);
  }
  if (run_engine) {
    ensure_records(engine_events);
    engine::bench::EngineBenchOptions options;
    options.slots = o.slots;
    options.json_alerts = json_alerts;
    options.watermark_every = o.watermark_every;
    auto r = engine::bench::RunEngineBench(*compiled, prefix(engine_events), options, Progress);
    if (!r) {
      std::cerr << "cep bench: engine: " << r.error().message() << "\n";
      exit_code = kExitUserError;
    } else {
      PrintEngine(*r);
      report["engine"] = {{"events", r->events},
                          {"alerts", r->alerts},
                          {"alert_bytes", r->alert_bytes},
                          {"late", r->late},
                          {"decode_errors", r->decode_errors},
                          {"backpressure_waits", r->backpressure_waits},
                          {"keys", r->keys},
                          {"timing", TimingJson(r->timing, r->events)}};
    }
    std::fflush(stdout);
  }
  double kafka_rate = 0;
  if (run_kafka) {
    ensure_records(kafka_events);
    engine::bench::KafkaBenchOptions options;
    options.partitions = o.partitions;
    options.slots = o.slots;
    options.json_alerts = json_alerts;
    options.clock = &clock;
    options.kafka = tuning;
    options.checkpoint_interval = std::chrono::milliseconds(checkpoint_interval->millis());
    auto r = engine::bench::RunKafkaBench(*compiled, prefix(kafka_events), options, Progress);
    if (!r) {
      std::cerr << "cep bench: kafka: " << r.error().message() << "\n";
      exit_code = kExitUserError;
    } else {
      PrintKafka(*r);
      kafka_rate = r->service.events_per_s(r->events);
      report["kafka"] = {{"events", r->events},
                         {"alerts", r->alerts},
                         {"alerts_in_topic", r->alerts_in_topic},
                         {"late", r->late},
                         {"dead_letters", r->dead_letters},
                         {"produce_errors", r->produce_errors},
                         {"group_join_s", r->group_join_s},
                         {"consume_s", r->consume_s},
                         {"stop_s", r->stop_s},
                         {"checkpoints", r->checkpoints.completed},
                         {"checkpoint_longest_pause_us", r->checkpoints.last_longest_pause.count()},
                         {"first_offsets", r->first_offsets},
                         {"end_offsets", r->end_offsets},
                         {"service", TimingJson(r->service, r->events)},
                         {"pre_produce", TimingJson(r->produce, r->records)},
                         {"read_back", TimingJson(r->read_back, r->read_back_records)}};
    }
    std::fflush(stdout);
  }
  if (run_latency) {
    const double rate = o.rate > 0 ? o.rate : kafka_rate / 2;
    if (rate <= 0) {
      std::cerr << "cep bench: latency: no rate (give --rate, or let the kafka run measure one)\n";
      exit_code = kExitUserError;
    } else {
      engine::bench::LatencyBenchOptions options;
      options.partitions = o.partitions;
      options.slots = o.slots;
      options.json_alerts = json_alerts;
      options.rate = rate;
      options.duration = std::chrono::milliseconds(duration->millis());
      options.clock = &clock;
      options.kafka = tuning;
      const double wanted = static_cast<double>(options.warmup) +
                            rate * static_cast<double>(duration->millis()) / 1000.0 + 1;
      const uint64_t n = std::min<uint64_t>(kMaxLatencyRecords, static_cast<uint64_t>(wanted));
      if (static_cast<double>(n) < wanted) {
        Progress("latency: at most " + std::to_string(n) + " records kept; the run ends early");
      }
      ensure_records(n);
      auto r = engine::bench::RunLatencyBench(*compiled, records, ids, options, Progress);
      if (!r) {
        std::cerr << "cep bench: latency: " << r.error().message() << "\n";
        exit_code = kExitUserError;
      } else {
        PrintLatency(*r, rate);
        report["latency"] = {{"rate", rate},
                             {"achieved_rate", r->achieved_rate},
                             {"produced", r->produced},
                             {"events", r->events},
                             {"alerts_read", r->alerts_read},
                             {"measured", r->measured},
                             {"without_event", r->without_event},
                             {"p50_ms", r->p50_ms},
                             {"p90_ms", r->p90_ms},
                             {"p99_ms", r->p99_ms},
                             {"max_ms", r->max_ms},
                             {"mean_ms", r->mean_ms},
                             {"timing", TimingJson(r->timing, r->produced)}};
      }
    }
  }
  if (run_checkpoint) {
    engine::bench::CheckpointBenchOptions options;
    options.slots = o.slots;
    options.keys = o.keys;
    if (only_checkpoint) options.paced_rate = o.rate;
    options.watermark_every = o.watermark_every;
    const std::string rules = o.rules.empty() ? kCheckpointRulesName : o.rules.front();
    auto r = engine::bench::RunCheckpointBench(checkpoint_rules.front(), options, Progress);
    if (!r) {
      std::cerr << "cep bench: checkpoint: " << r.error().message() << "\n";
      exit_code = kExitUserError;
    } else {
      PrintCheckpoint(*r);
      report["checkpoint"] = {
          {"rules", rules},
          {"keys", r->accounts},
          {"load", TimingJson(r->load, r->load_events)},
          {"unpaced", CheckpointRunJson(r->unpaced)},
          {"paced", CheckpointRunJson(r->paced)},
          {"streams", r->streams},
          {"store_bytes", r->store_bytes},
          {"restart", {{"open_s", r->open_s},
                       {"verify_s", r->verify_s},
                       {"restore_s", r->restore_s},
                       {"total_s", r->restart_s}}},
          {"keys_checkpointed", r->keys_before},
          {"keys_restored", r->keys_restored},
          {"keys_live_after_restore", r->keys_after},
          {"alerts", r->alerts},
          {"max_rss_kb", r->max_rss_kb},
          {"snapshot_alone", {{"keys", r->alone.keys},
                              {"steps", r->alone.steps},
                              {"bytes", r->alone.bytes},
                              {"begin_ms", r->alone.begin_ms},
                              {"total_s", r->alone.total_s},
                              {"step_p50_ms", r->alone.p50_ms},
                              {"step_p99_ms", r->alone.p99_ms},
                              {"step_max_ms", r->alone.max_ms}}}};
    }
    std::fflush(stdout);
  }
  const std::string load_after = LoadAverage();
  fmt::print("load average before / after: {} / {} ({} cores)\n", load_before, load_after,
             std::thread::hardware_concurrency());
  report["load_average_after"] = load_after;
  if (!o.json.empty()) {
    std::ofstream out(o.json);
    out << report.dump(2) << "\n";
    if (!out) {
      std::cerr << "cep bench: cannot write '" << o.json << "'\n";
      return kExitUserError;
    }
  }
  return exit_code;
}

}  // namespace

void AddBenchCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* command = app.add_subcommand("bench", "throughput and latency benchmark");
  command->add_option("--mode", o->mode, "engine|kafka|latency|checkpoint|all")
      ->check(CLI::IsMember({"engine", "kafka", "latency", "checkpoint", "all"}))
      ->capture_default_str();
  command->add_option("--events", o->events,
                      "events per throughput run (0: 1,000,000 engine, 150,000 kafka)")
      ->capture_default_str();
  command->add_option("--rules", o->rules,
                      std::string("ruleset file (repeatable; default: ") + kDefaultRules +
                          " if found, else the example rulesets)");
  command->add_option("--slots", o->slots, "worker slots per ruleset")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();
  command->add_option("--partitions", o->partitions, "partitions of the input topic")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  command->add_option("--rate", o->rate,
                      "latency run: events/s (0: half the kafka run's rate); --mode checkpoint: "
                      "the paced checkpoint's events/s (0: half the unpaced rate)")
      ->check(CLI::Range(0.0, 1e8))
      ->capture_default_str();
  command->add_option("--duration", o->duration, "latency run: how long to produce")
      ->capture_default_str();
  command->add_option("--checkpoint-interval", o->checkpoint_interval,
                      "kafka run: checkpoint to RocksDB (a temp dir) this often; 0s: never")
      ->capture_default_str();
  command->add_option("--keys", o->keys, "checkpoint run: distinct accounts (keys) in the state")
      ->check(CLI::Range(uint64_t{1}, uint64_t{100'000'000}))
      ->capture_default_str();
  command->add_option("--seed", o->seed, "generator seed")->capture_default_str();
  command->add_option("--accounts", o->accounts, "accounts in the generated population")
      ->check(CLI::Range(10u, 10'000'000u))
      ->capture_default_str();
  command->add_option("--alert-format", o->alert_format, "protobuf|json alerts")
      ->check(CLI::IsMember({"protobuf", "json"}))
      ->capture_default_str();
  command->add_option("--watermark-every", o->watermark_every,
                      "engine run: events between watermarks (the service: one per poll)")
      ->check(CLI::Range(size_t{1}, size_t{1} << 30))
      ->capture_default_str();
  command->add_option("--consumer-set", o->consumer_set,
                      "KEY=VALUE librdkafka property for every consumer of the Kafka runs "
                      "(repeatable; e.g. fetch.wait.max.ms=5)");
  command->add_option("--producer-set", o->producer_set,
                      "KEY=VALUE librdkafka property for every producer of the Kafka runs "
                      "(repeatable; e.g. linger.ms=1)");
  command->add_option("--json", o->json, "also write the results as JSON to FILE");
  command->footer(
      "engine:  N generated transactions as protobuf bytes in memory -> decode -> one SlotPool\n"
      "         per ruleset -> alerts serialized; no Kafka. Events/s (wall) and CPU time.\n"
      "kafka:   the embedded broker holds N pre-produced records; the service (new consumer\n"
      "         group) consumes, decodes, runs the rules and produces alerts; timed from its\n"
      "         first record until everything is processed and the alerts flushed. The broker\n"
      "         keeps only 5 MiB per partition: the run checks that nothing was dropped.\n"
      "latency: a producer paced at --rate; a reader of the alerts topic measures each alert's\n"
      "         time since its completing event was produced (p50/p90/p99/max).\n"
      "checkpoint: --keys accounts, one purchase each, in a SlotPool running spend_30m of\n"
      "         rulesets/velocity.rules (or the first --rules file); a checkpoint to RocksDB\n"
      "         (a temp dir) while purchases keep coming, unpaced then at half that rate:\n"
      "         duration, size, longest slot pause, watermark lag; then a restart restores it.\n"
      "Progress goes to stderr, the results to stdout (and --json FILE).");
  command->callback([&action, o] { action = [o] { return RunBench(*o); }; });
}

}  // namespace api
