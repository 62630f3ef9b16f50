#include <algorithm>
#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <sys/resource.h>

#include "engine/bench/internal/bench_util.h"
#include "engine/bench/pipeline_bench.h"
#include "engine/checkpoint/checkpoint_coordinator.h"
#include "engine/decode/transaction_event_decoder.h"
#include "engine/runtime/slot_pool.h"
#include "state/checkpoint_storage.h"
#include "state/state_store.h"

namespace engine::bench {
namespace {

using internal::Seconds;
using internal::SteadyClock;

// Event time: the load's first purchases spread over 20 minutes, the later
// ones after them but never 30 minutes past the first, so that no key of a
// `last 30m` window expires during the run (every key stays in the state).
constexpr int64_t kStartMs = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
constexpr int64_t kLoadSpanMs = 20 * 60 * 1000;
constexpr int64_t kLastMs = kStartMs + 29 * 60 * 1000;

// Where a watermark was issued: the load, or before / during checkpoint 1 or 2.
enum Phase : int { kLoad = 0, kBefore1, kDuring1, kBefore2, kDuring2, kPhases };

// The bench's transactions: purchases of 10 EUR by account "acct-<n>", decoded
// as the service decodes Kafka records (less the protobuf parse).
class Purchases {
 public:
  explicit Purchases(const rules::CompiledRuleset& ruleset)
      : decoder_(ruleset.program->schema, AssemblerOptions{"id", ruleset.regexes}) {
    transaction_.set_kind("purchase");
    transaction_.set_amount_micros(10'000'000);
    transaction_.set_currency("EUR");
    transaction_.set_channel("ecom");
    transaction_.set_country("DE");
    transaction_.set_home_country("DE");
  }

  std::shared_ptr<const cep::Event> Make(uint64_t account, int64_t ts_ms) {
    text_ = "acct-";
    text_ += std::to_string(account);
    transaction_.set_account_id(text_);
    text_ = "t";
    text_ += std::to_string(seq_);
    transaction_.set_id(text_);
    transaction_.set_ts_ms(ts_ms);
    auto event = decoder_.Decode(transaction_, seq_++);
    CHECK(event.has_value(), "a transaction with ts decodes");
    return std::make_shared<const cep::Event>(std::move(*event));
  }

 private:
  TransactionEventDecoder decoder_;
  cep::v1::Transaction transaction_;
  std::string text_;
  uint64_t seq_ = 0;
};

// A well-spread account for the n-th purchase after the load (splitmix64).
uint64_t RandomAccount(uint64_t n, uint64_t accounts) {
  uint64_t z = n + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return (z ^ (z >> 31)) % accounts;
}

// Watermarks the router advanced, and when every slot had completed each one.
// Threading: Issued from the router, Completed from the collector.
class LagLog {
 public:
  void Issued(cep::EventTime watermark, Phase phase) {
    const auto now = SteadyClock::now();
    std::lock_guard lock(mutex_);
    if (!pending_.empty() && pending_.back().watermark >= watermark) return;
    pending_.push_back({watermark, now, phase});
  }
  void Completed(cep::EventTime done) {
    const auto now = SteadyClock::now();
    std::lock_guard lock(mutex_);
    while (!pending_.empty() && pending_.front().watermark <= done) {
      const Pending& p = pending_.front();
      lags_ms_[p.phase].push_back(Seconds(now - p.issued) * 1e3);
      pending_.pop_front();
    }
  }
  // After the collector stopped.
  WatermarkLag Figures(Phase phase) {
    std::vector<double>& lags = lags_ms_[phase];
    WatermarkLag lag;
    lag.count = lags.size();
    if (lags.empty()) return lag;
    std::sort(lags.begin(), lags.end());
    auto at = [&](double q) {
      return lags[std::min(lags.size() - 1,
                           static_cast<size_t>(q * static_cast<double>(lags.size())))];
    };
    lag.p50_ms = at(0.50);
    lag.p99_ms = at(0.99);
    lag.max_ms = lags.back();
    return lag;
  }

 private:
  struct Pending {
    cep::EventTime watermark;
    SteadyClock::time_point issued;
    Phase phase;
  };
  std::mutex mutex_;
  std::deque<Pending> pending_;           // guarded by mutex_
  std::vector<double> lags_ms_[kPhases];  // guarded by mutex_
};

// The sink's part: takes the alerts, notes watermark progress, and acknowledges
// each barrier once every slot passed it (no Kafka to wait for).
void Collect(SlotPool& pool, CheckpointCoordinator& coordinator, LagLog& lags,
             std::atomic<uint64_t>& alerts) {
  SlotPool::Output out;
  uint64_t acknowledged = 0;
  for (;;) {
    pool.Collect(out, std::chrono::milliseconds(1));
    alerts.fetch_add(out.alerts.size(), std::memory_order_relaxed);
    out.alerts.clear();
    lags.Completed(out.done);
    if (out.barrier > acknowledged) {
      acknowledged = out.barrier;
      coordinator.OnSinkFlushed(acknowledged);
    }
    if (out.finished) break;
  }
}

// SnapshotSteps (pipeline_bench.h).
SnapshotSteps MeasureSnapshotSteps(const rules::CompiledRuleset& ruleset, uint64_t keys,
                                   size_t every) {
  constexpr size_t kKeysPerStep = 2048;  // as Slot::ContinueSnapshot (engine/runtime/slot.cc)
  Purchases purchases(ruleset);
  cep::RulesetRunner runner(ruleset.program);
  std::vector<cep::RuleAlert> alerts;
  for (uint64_t round = 0; round < 2; ++round) {
    for (uint64_t i = 0; i < keys; ++i) {
      const int64_t ts =
          kStartMs + static_cast<int64_t>(round * static_cast<uint64_t>(kLoadSpanMs) / 2 +
                                          i * static_cast<uint64_t>(kLoadSpanMs) / 2 / keys);
      runner.OnEvent(purchases.Make(i, ts));
      if ((i + 1) % every == 0 || i + 1 == keys) {
        runner.AdvanceWatermark(cep::EventTime::FromMillis(ts - 1), alerts);
        alerts.clear();
      }
    }
  }
  SnapshotSteps steps;
  steps.keys = runner.key_count();
  std::vector<double> step_ms;
  std::string bytes;
  auto started = SteadyClock::now();
  runner.BeginSnapshot();
  steps.begin_ms = Seconds(SteadyClock::now() - started) * 1e3;
  for (bool done = false; !done;) {
    const auto step = SteadyClock::now();
    done = runner.ContinueSnapshot(kKeysPerStep);
    bytes.clear();
    runner.TakeSnapshotBytes(bytes);
    step_ms.push_back(Seconds(SteadyClock::now() - step) * 1e3);
    steps.bytes += bytes.size();
  }
  steps.total_s = Seconds(SteadyClock::now() - started);
  steps.steps = step_ms.size();
  std::sort(step_ms.begin(), step_ms.end());
  steps.p50_ms = step_ms[step_ms.size() / 2];
  steps.p99_ms = step_ms[std::min(step_ms.size() - 1, step_ms.size() * 99 / 100)];
  steps.max_ms = step_ms.back();
  return steps;
}

long MaxRssKb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

}  // namespace

cep::Result<CheckpointBenchResult> RunCheckpointBench(const rules::CompiledRuleset& ruleset,
                                                      const CheckpointBenchOptions& options,
                                                      const Progress& progress) {
  if (options.keys == 0) return cep::Unexpected(cep::InvalidArgument("--keys must be > 0"));
  const uint32_t slots = std::max<uint32_t>(1, options.slots);
  const size_t every = std::max<size_t>(1, options.watermark_every);
  const std::string name = ruleset.program->ruleset;
  const internal::TempDir dir("cep-bench-checkpoint");
  CheckpointBenchResult result;
  result.accounts = options.keys;
  Purchases purchases(ruleset);
  LagLog lags;
  cep::Status failed;
  {
    ASSIGN_OR_RETURN(auto store, state::OpenRocksDbStore(dir.path() / "state"));
    ASSIGN_OR_RETURN(auto storage,
                     state::CheckpointStorage::Open(dir.path() / "checkpoints", *store));
    CheckpointCoordinator coordinator(*storage, 1, options.limit);
    SlotPool pool(ruleset.program, SlotPoolOptions{.slots = slots,
                                                   .queue_capacity = options.queue_capacity,
                                                   .snapshots = &coordinator,
                                                   .name = name});
    std::atomic<uint64_t> alerts{0};
    std::thread collector([&] { Collect(pool, coordinator, lags, alerts); });

    // From here on no early return: the collector stops only with the pool.
    auto advance = [&](int64_t ts_ms, Phase phase) {
      const cep::EventTime watermark = cep::EventTime::FromMillis(ts_ms - 1);
      pool.AdvanceWatermark(watermark);
      lags.Issued(watermark, phase);
    };

    if (progress) {
      progress("checkpoint: loading " + std::to_string(options.keys) + " accounts into " +
               std::to_string(slots) + " slot(s) of " + name);
    }
    {
      const internal::Stopwatch stopwatch;
      const uint64_t n = options.keys;
      for (uint64_t i = 0; i < n; ++i) {
        const int64_t ts =
            kStartMs + static_cast<int64_t>(i * static_cast<uint64_t>(kLoadSpanMs) / n);
        pool.Route(purchases.Make(i, ts));
        if ((i + 1) % every == 0 || i + 1 == n) advance(ts, kLoad);
      }
      result.load = stopwatch.Elapsed();
      result.load_events = n;
    }

    // Purchases of random loaded accounts, 0.01 ms of event time apart (the
    // watermark moves 10 ms per 1024: 50 million fit before 30 minutes).
    uint64_t touched = 0;
    auto route_batch = [&](Phase phase) {
      int64_t ts = 0;
      for (size_t k = 0; k < every; ++k, ++touched) {
        ts = std::min(kLastMs, kStartMs + kLoadSpanMs + static_cast<int64_t>(touched / 100));
        pool.Route(purchases.Make(RandomAccount(touched, options.keys), ts));
      }
      advance(ts, phase);
    };
    // Routes batches until `done` says so, at `rate` events/s (0: unpaced).
    auto route_until = [&](Phase phase, double rate, auto done) {
      const internal::Stopwatch stopwatch;
      const uint64_t first = touched;
      const auto start = SteadyClock::now();
      const double batch_s = rate > 0 ? static_cast<double>(every) / rate : 0;
      for (uint64_t batches = 1; !done(); ++batches) {
        route_batch(phase);
        if (rate > 0) {
          std::this_thread::sleep_until(
              start + std::chrono::duration_cast<SteadyClock::duration>(
                          std::chrono::duration<double>(batch_s * static_cast<double>(batches))));
        }
      }
      return std::pair(stopwatch.Elapsed(), touched - first);
    };
    // Routing with no checkpoint, then a checkpoint while routing on.
    auto run = [&](CheckpointRun& r, Phase before, Phase during) {
      const auto until = SteadyClock::now() + options.before;
      std::tie(r.before, r.before_events) =
          route_until(before, r.rate, [&] { return SteadyClock::now() >= until; });
      state::Manifest manifest;
      manifest.id = coordinator.next_id();
      manifest.created_ms = 0;  // wall time, informative only: none here
      manifest.watermark_ms = pool.watermark().millis();
      manifest.rulesets.push_back({name, ruleset.program->version, 0});
      const uint64_t id = manifest.id;
      const uint64_t failures = coordinator.figures().failed;
      coordinator.Begin(std::move(manifest), pool.slots(), 1);
      pool.Barrier(id);
      std::tie(r.during, r.during_events) = route_until(during, r.rate, [&] {
        if (coordinator.TakeCommitted()) return true;
        if (coordinator.figures().failed == failures) return false;
        failed = cep::Internal("checkpoint " + std::to_string(id) + " failed (the log says why)");
        return true;
      });
      r.figures = coordinator.figures();
    };

    if (progress) progress("checkpoint: checkpoint 1 while routing as fast as the slots go");
    run(result.unpaced, kBefore1, kDuring1);
    if (failed.ok()) {
      result.paced.rate = options.paced_rate > 0
                              ? options.paced_rate
                              : options.paced_fraction * result.unpaced.before.events_per_s(
                                                             result.unpaced.before_events);
      if (progress) {
        progress("checkpoint: checkpoint 2 while routing " +
                 std::to_string(static_cast<uint64_t>(result.paced.rate)) + " events/s");
      }
      run(result.paced, kBefore2, kDuring2);
    }
    pool.Stop();
    collector.join();
    result.alerts = alerts.load();
    result.keys_before = pool.key_count();
    result.store_bytes = store->ApproximateBytes();
    result.unpaced.before_lag = lags.Figures(kBefore1);
    result.unpaced.during_lag = lags.Figures(kDuring1);
    result.paced.before_lag = lags.Figures(kBefore2);
    result.paced.during_lag = lags.Figures(kDuring2);
  }  // the pool's memory is freed and RocksDB closed: what a restart starts from
  if (!failed.ok()) return cep::Unexpected(failed);
  const uint64_t last_id = result.paced.figures.last_id;
  result.max_rss_kb = MaxRssKb();

  if (progress) progress("checkpoint: restart from checkpoint " + std::to_string(last_id));
  const auto started = SteadyClock::now();
  ASSIGN_OR_RETURN(auto store, state::OpenRocksDbStore(dir.path() / "state"));
  ASSIGN_OR_RETURN(auto storage,
                   state::CheckpointStorage::Open(dir.path() / "checkpoints", *store));
  const auto opened = SteadyClock::now();
  ASSIGN_OR_RETURN(std::optional<state::Manifest> latest, storage->LoadLatestValid());
  const auto verified = SteadyClock::now();
  if (!latest || latest->id != last_id) {
    return cep::Unexpected(cep::DataLoss("checkpoint " + std::to_string(last_id) +
                                         " is not the latest valid one after reopening"));
  }
  result.streams = latest->streams.size();
  // As Service::RestoreLane does (engine/service/service.cc).
  SlotPool restored(
      ruleset.program,
      SlotPoolOptions{.slots = slots, .queue_capacity = options.queue_capacity, .name = name});
  auto restore = [&](const std::string& stream, cep::RulesetRunner& runner) -> cep::Status {
    const bool present = std::any_of(latest->streams.begin(), latest->streams.end(),
                                     [&](const state::StateStream& s) { return s.name == stream; });
    if (!present) return cep::Status();
    RETURN_IF_ERROR(storage->ReadStream(
        *latest, stream, [&](std::string_view chunk) { return runner.Restore(chunk); }));
    ASSIGN_OR_RETURN(cep::RestoreStats stats, runner.FinishRestore());
    result.keys_restored += stats.keys_restored;
    return cep::Status();
  };
  RETURN_IF_ERROR(restored.Restore(restore, cep::EventTime::FromMillis(latest->watermark_ms)));
  const auto done = SteadyClock::now();
  result.open_s = Seconds(opened - started);
  result.verify_s = Seconds(verified - opened);
  result.restore_s = Seconds(done - verified);
  result.restart_s = Seconds(done - started);
  restored.Stop();
  result.keys_after = restored.key_count();
  result.max_rss_kb = std::max(result.max_rss_kb, MaxRssKb());
  if (result.keys_after != result.keys_before || result.keys_restored != result.keys_before) {
    return cep::Unexpected(cep::DataLoss("restored " + std::to_string(result.keys_restored) +
                                         " key state(s) (" + std::to_string(result.keys_after) +
                                         " live) of the " + std::to_string(result.keys_before) +
                                         " checkpointed"));
  }
  if (progress) progress("checkpoint: one slot's snapshot steps alone, on one thread");
  result.alone = MeasureSnapshotSteps(ruleset, (options.keys + slots - 1) / slots, every);
  return result;
}

}  // namespace engine::bench
