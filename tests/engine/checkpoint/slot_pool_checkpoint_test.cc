// Checkpoints through a SlotPool: barriers in the slots' queues, copy-on-write
// snapshots written by a CheckpointCoordinator to a memory store while events
// keep flowing, and a new pool restored from the checkpoint (the way
// Service::Impl::RestoreLane does it) that goes on exactly like the original.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/proto/alert.pb.h"
#include "cep/ruleset_runner.h"
#include "engine/checkpoint/checkpoint_coordinator.h"
#include "engine/runtime/slot_pool.h"
#include "engine/runtime/snapshot_sink.h"
#include "engine/sink/alert_factory.h"
#include "rules/compiler.h"
#include "state/checkpoint_storage.h"
#include "state/state_store.h"
#include "tests/engine/runtime/slot_pool_test_input.h"
#include "tests/state/temp_dir.h"

namespace engine {
namespace {

constexpr auto kDeadline = std::chrono::seconds(30);

constexpr const char* kRules = testing::kThreeKeyGroupsRules;

using Events = std::vector<std::shared_ptr<const cep::Event>>;

// What a collector thread gathered from a pool, and when each barrier showed.
class Collected {
 public:
  // Collects until the pool finished; `on_barrier` is called (on the collector
  // thread) each time Output::barrier moves.
  void Run(SlotPool& pool, const std::function<void(uint64_t)>& on_barrier = {}) {
    SlotPool::Output out;
    for (;;) {
      pool.Collect(out, std::chrono::milliseconds(20));
      bool moved = false;
      {
        std::lock_guard lock(mutex_);
        for (const cep::v1::Alert& alert : out.alerts) alerts_.push_back(alert.SerializeAsString());
        if (out.barrier != barrier_) {
          barrier_ = out.barrier;
          at_barrier_[barrier_] = alerts_.size();
          moved = true;
        }
      }
      out.alerts.clear();
      {
        std::lock_guard lock(mutex_);
        ++collects_;
      }
      changed_.notify_all();
      if (moved && on_barrier) on_barrier(out.barrier);
      if (out.finished) break;
    }
  }

  // Waits until Output::barrier reached `id`; false after the deadline.
  bool WaitBarrier(uint64_t id) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kDeadline, [&] { return barrier_ >= id; });
  }
  uint64_t barrier() {
    std::lock_guard lock(mutex_);
    return barrier_;
  }
  // Waits until the collector has run two more Collects (so one started after
  // this call); false after the deadline.
  bool WaitFreshCollect() {
    std::unique_lock lock(mutex_);
    const uint64_t target = collects_ + 2;
    return changed_.wait_for(lock, kDeadline, [&] { return collects_ >= target; });
  }
  // The alerts collected up to the moment Output::barrier showed `id`, and after.
  std::vector<std::string> Before(uint64_t id) {
    std::lock_guard lock(mutex_);
    return Sorted(alerts_.begin(), alerts_.begin() + static_cast<std::ptrdiff_t>(at_barrier_.at(id)));
  }
  std::vector<std::string> After(uint64_t id) {
    std::lock_guard lock(mutex_);
    return Sorted(alerts_.begin() + static_cast<std::ptrdiff_t>(at_barrier_.at(id)), alerts_.end());
  }
  std::vector<std::string> All() {
    std::lock_guard lock(mutex_);
    return Sorted(alerts_.begin(), alerts_.end());
  }

 private:
  static std::vector<std::string> Sorted(std::vector<std::string>::const_iterator from,
                                         std::vector<std::string>::const_iterator to) {
    std::vector<std::string> out(from, to);
    std::sort(out.begin(), out.end());
    return out;
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> alerts_;
  uint64_t barrier_ = 0;
  uint64_t collects_ = 0;
  std::map<uint64_t, size_t> at_barrier_;
};

class SlotPoolCheckpointTest : public ::testing::Test {
 protected:
  SlotPoolCheckpointTest() {
    auto compiled = rules::CompileRuleset(kRules);
    EXPECT_TRUE(compiled.has_value());
    if (compiled) program_ = compiled->program;
  }

  // A seeded stream: 40 busy accounts that make every rule fire, and, for two
  // events in three, `quiet_accounts` more that each hold a little window state (so
  // a snapshot takes several steps of 2,048 keys and events overtake it). ts
  // from the start of an hour, 0.3 s apart on average, mostly increasing with
  // some disorder, so some events are late and some pattern alerts wait for
  // the next watermark.
  Events Stream(uint64_t seed, size_t count, uint32_t quiet_accounts) {
    std::mt19937_64 rng(seed);
    const cep::Schema& schema = *program_->schema;
    Events events;
    int64_t ts = 1'699'999'200'000;  // 2023-11-14T22:00:00Z
    for (size_t i = 0; i < count; ++i) {
      ts += static_cast<int64_t>(rng() % 600);
      const int64_t jitter = rng() % 10 == 0 ? static_cast<int64_t>(rng() % 90'000) : 0;
      const std::string account = rng() % 3 != 0
                                      ? "q" + std::to_string(rng() % quiet_accounts)
                                      : "a" + std::to_string(rng() % 40);
      events.push_back(testing::StreamEvent(schema, i, ts - jitter, account, rng));
    }
    return events;
  }

  // The automatic watermark after each event (largest ts - 30 s - 1 ms), as replay.
  static std::vector<cep::EventTime> Watermarks(const Events& events) {
    std::vector<cep::EventTime> out;
    cep::EventTime max_ts = cep::EventTime::Min();
    for (const auto& event : events) {
      max_ts = std::max(max_ts, event->ts());
      out.push_back(max_ts - cep::Duration::Seconds(30) - cep::Duration::Millis(1));
    }
    return out;
  }

  static void Feed(SlotPool& pool, const Events& events, const std::vector<cep::EventTime>& wm,
                   size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      pool.Route(events[i]);
      pool.AdvanceWatermark(wm[i]);  // one that does not advance is ignored
    }
  }

  // One RulesetRunner over events [0, to) with the same watermarks; then either
  // the barrier's flush (the same watermark again) or the end of the stream.
  std::vector<std::string> RunSingle(const Events& events, const std::vector<cep::EventTime>& wm,
                                     size_t to, bool finish) {
    cep::RulesetRunner runner(program_);
    std::vector<cep::RuleAlert> raised;
    std::vector<std::string> out;
    auto advance = [&](cep::EventTime w) {
      if (w < runner.watermark()) return;
      runner.AdvanceWatermark(w, raised);
      for (const auto& a : raised) out.push_back(MakeWireAlert(*program_, a).SerializeAsString());
      raised.clear();
    };
    for (size_t i = 0; i < to; ++i) {
      runner.OnEvent(events[i]);
      if (wm[i] > runner.watermark()) advance(wm[i]);
    }
    advance(finish ? cep::EventTime::Max() : runner.watermark());
    std::sort(out.begin(), out.end());
    return out;
  }

  static std::vector<std::string> Union(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    std::sort(a.begin(), a.end());
    return a;
  }

  std::shared_ptr<const cep::Program> program_;
};

TEST_F(SlotPoolCheckpointTest, APoolRestoredFromACheckpointRaisesWhatTheOriginalRaisesAfterIt) {
  const Events events = Stream(17, 16'000, 50'000);
  const std::vector<cep::EventTime> wm = Watermarks(events);
  const size_t half = events.size() / 2;

  state::testing::TempDir dir;
  const std::unique_ptr<state::StateStore> store = state::NewMemoryStore();
  auto opened = state::CheckpointStorage::Open(dir.path() / "checkpoints", *store);
  ASSERT_TRUE(opened) << opened.error().ToString();
  state::CheckpointStorage& storage = **opened;
  CheckpointCoordinator coordinator(storage, 1);

  // The original: 2 slots snapshotting into the coordinator; its collector is
  // the sink and acknowledges each barrier once it has the alerts before it.
  SlotPool original(program_, {.slots = 2, .queue_capacity = 64, .snapshots = &coordinator,
                               .name = "ckpt"});
  Collected before_restore;
  std::thread collector([&] {
    before_restore.Run(original, [&](uint64_t barrier) { coordinator.OnSinkFlushed(barrier); });
  });
  Feed(original, events, wm, 0, half);
  state::Manifest source_side;
  source_side.id = coordinator.next_id();
  source_side.watermark_ms = original.watermark().millis();
  source_side.rulesets = {{"ckpt", 1, half}};
  coordinator.Begin(source_side, original.slots(), 1);
  original.Barrier(source_side.id);
  // Nothing routed after the barrier yet: what is collected when the barrier
  // shows is exactly what the first half raised, the held late alerts included.
  ASSERT_TRUE(before_restore.WaitBarrier(1));
  const std::vector<std::string> pre = before_restore.Before(1);
  EXPECT_EQ(pre, RunSingle(events, wm, half, /*finish=*/false))
      << "every alert raised before the barrier is collected when Output::barrier shows it";
  // The rest flows while the slots are still writing their snapshots.
  Feed(original, events, wm, half, events.size());
  original.Finish();
  collector.join();
  ASSERT_TRUE(coordinator.WaitIdle(kDeadline));
  const CheckpointFigures figures = coordinator.figures();
  ASSERT_EQ(figures.completed, 1u) << "failed: " << figures.failed;
  EXPECT_GT(figures.last_bytes, 0u);

  // A new pool from the checkpoint, as Service::Impl::RestoreLane does it.
  auto latest = storage.LoadLatestValid();
  ASSERT_TRUE(latest) << latest.error().ToString();
  ASSERT_TRUE(latest->has_value());
  const state::Manifest manifest = **latest;
  EXPECT_EQ(manifest.id, 1u);
  EXPECT_EQ(manifest.watermark_ms, source_side.watermark_ms);
  // Two slots, three key groups: a stream each.
  EXPECT_EQ(manifest.streams.size(), 6u);
  SlotPool restored(program_, {.slots = 2, .queue_capacity = 64, .name = "ckpt"});
  size_t keys = 0;
  std::set<std::string> restored_streams;
  const cep::Status status = restored.Restore(
      [&](const std::string& stream, cep::RulesetRunner& runner) -> cep::Status {
        const bool present = std::any_of(manifest.streams.begin(), manifest.streams.end(),
                                         [&](const state::StateStream& s) { return s.name == stream; });
        if (!present) return cep::Status();
        restored_streams.insert(stream);
        RETURN_IF_ERROR(storage.ReadStream(manifest, stream, [&](std::string_view chunk) {
          return runner.Restore(chunk);
        }));
        ASSIGN_OR_RETURN(cep::RestoreStats stats, runner.FinishRestore());
        EXPECT_EQ(stats.keys_skipped, 0u) << stream;
        keys += stats.keys_restored;
        return cep::Status();
      },
      cep::EventTime::FromMillis(manifest.watermark_ms));
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(restored_streams.size(), manifest.streams.size()) << "every stream is some slot's";
  // More than a step's worth (2,048 keys) per slot: events overtake the
  // snapshot while it is written (copy-on-write).
  EXPECT_GT(keys, 2u * 2'048) << "the quiet accounts' windows are in the checkpoint";
  EXPECT_EQ(restored.watermark().millis(), manifest.watermark_ms);

  Collected after_restore;
  std::thread restored_collector([&] { after_restore.Run(restored); });
  Feed(restored, events, wm, half, events.size());
  restored.Finish();
  restored_collector.join();

  const std::vector<std::string> post = before_restore.After(1);
  const std::vector<std::string> resumed = after_restore.All();
  ASSERT_GT(post.size(), 50u) << "the second half must make the rules fire";
  EXPECT_EQ(resumed, post) << "the restored pool raises exactly what the original raised after "
                              "the barrier ("
                           << resumed.size() << " vs " << post.size() << ")";
  EXPECT_EQ(Union(pre, post), RunSingle(events, wm, events.size(), /*finish=*/true))
      << "the original with a checkpoint raises what one runner raises";
}

// A sink that blocks the slot handing in bytes of `gated_stream` for checkpoint
// `gated_id` until released, and counts what it is told.
class GatedSink final : public SnapshotSink {
 public:
  GatedSink(uint64_t gated_id, std::string gated_prefix)
      : gated_id_(gated_id), gated_prefix_(std::move(gated_prefix)) {}

  void OnSnapshotBytes(uint64_t id, const std::string& stream, std::string) override {
    std::unique_lock lock(mutex_);
    if (id == gated_id_ && stream.rfind(gated_prefix_, 0) == 0) {
      gated_waiting_ = true;
      changed_.notify_all();
      changed_.wait(lock, [&] { return released_; });
    }
  }
  void OnSlotSnapshotted(uint64_t id, std::chrono::microseconds,
                         const std::vector<RuleStateFigures>&) override {
    std::lock_guard lock(mutex_);
    ++snapshotted_[id];
    changed_.notify_all();
  }
  bool WaitGated() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kDeadline, [&] { return gated_waiting_; });
  }
  bool WaitSnapshotted(uint64_t id, int slots) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kDeadline, [&] { return snapshotted_[id] >= slots; });
  }
  int snapshotted(uint64_t id) {
    std::lock_guard lock(mutex_);
    return snapshotted_[id];
  }
  void Release() {
    {
      std::lock_guard lock(mutex_);
      released_ = true;
    }
    changed_.notify_all();
  }

 private:
  const uint64_t gated_id_;
  const std::string gated_prefix_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool gated_waiting_ = false;
  bool released_ = false;
  std::map<uint64_t, int> snapshotted_;
};

TEST_F(SlotPoolCheckpointTest, OutputBarrierWaitsForTheSlowestSlot) {
  const Events events = Stream(5, 2'000, 500);
  const std::vector<cep::EventTime> wm = Watermarks(events);
  // Slot 1 gets stuck handing in its snapshot of checkpoint 1, so it cannot
  // pass barrier 2; slot 0 passes both.
  GatedSink sink(1, "ckpt/slot-1/");
  // Queues that hold what is routed while slot 1 is stuck: the router must not block.
  SlotPool pool(program_, {.slots = 2, .queue_capacity = 8'192, .snapshots = &sink, .name = "ckpt"});
  Collected collected;
  std::thread collector([&] { collected.Run(pool); });
  Feed(pool, events, wm, 0, 1'000);
  pool.Barrier(1);
  ASSERT_TRUE(sink.WaitGated()) << "slot 1 writes its snapshot of checkpoint 1";
  ASSERT_TRUE(collected.WaitBarrier(1)) << "both slots passed barrier 1 before snapshotting";
  Feed(pool, events, wm, 1'000, 1'500);
  pool.Barrier(2);
  ASSERT_TRUE(sink.WaitSnapshotted(2, 1)) << "slot 0 passed barrier 2 and snapshotted";
  EXPECT_EQ(sink.snapshotted(1), 1) << "slot 1 is still stuck in checkpoint 1";
  // A collect that started after slot 0 passed barrier 2: the pool's barrier
  // is still 1, the slowest slot's.
  ASSERT_TRUE(collected.WaitFreshCollect());
  EXPECT_EQ(collected.barrier(), 1u);
  sink.Release();
  ASSERT_TRUE(collected.WaitBarrier(2));
  EXPECT_EQ(collected.barrier(), 2u);
  ASSERT_TRUE(sink.WaitSnapshotted(2, 2));
  EXPECT_EQ(sink.snapshotted(1), 2);
  // Every alert raised before barrier 2 is in by the time it shows.
  EXPECT_EQ(collected.Before(2), RunSingle(events, wm, 1'500, /*finish=*/false));
  Feed(pool, events, wm, 1'500, events.size());
  pool.Finish();
  collector.join();
  EXPECT_EQ(collected.All(), RunSingle(events, wm, events.size(), /*finish=*/true));
}

}  // namespace
}  // namespace engine
