// engine::CheckpointCoordinator over a real state::CheckpointStorage (a memory
// store, manifests in a temporary directory): when a checkpoint completes,
// what its manifest holds, and how one that fails or stalls is given up so
// that the next one starts afresh. The slots and sinks are the test itself,
// calling the SnapshotSink side directly; every wait is WaitIdle with a deadline.
#include "engine/checkpoint/checkpoint_coordinator.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "state/checkpoint_manifest.h"
#include "state/checkpoint_storage.h"
#include "state/state_store.h"
#include "tests/state/failing_store.h"
#include "tests/state/temp_dir.h"

namespace engine {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr auto kDeadline = seconds(30);

// The source side of a manifest, as the service fills it in at a barrier.
state::Manifest SourceSide(uint64_t id) {
  state::Manifest manifest;
  manifest.id = id;
  manifest.created_ms = 1'700'000'000'000 + static_cast<int64_t>(id) * 1'000;
  manifest.watermark_ms = 1'699'999'990'000 + static_cast<int64_t>(id);
  manifest.offsets = {{"transactions", 0, 100 + static_cast<int64_t>(id)},
                      {"transactions", 1, 7}};
  manifest.rulesets = {{"fraud", 3, 1'000 + id}};
  manifest.sink = {{"alerts", 0, 97}, {"alerts", 1, 12}};
  return manifest;
}

class CheckpointCoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override { OpenStorage(*memory_); }

  void OpenStorage(state::StateStore& store, state::CheckpointStorageOptions options = {}) {
    auto storage = state::CheckpointStorage::Open(dir_.path() / "checkpoints", store, options);
    ASSERT_TRUE(storage) << storage.error().ToString();
    storage_ = std::move(*storage);
  }

  // The concatenated bytes of `stream` in checkpoint `manifest`.
  std::string ReadStream(const state::Manifest& manifest, std::string_view stream) {
    std::string bytes;
    const cep::Status status = storage_->ReadStream(manifest, stream, [&](std::string_view chunk) {
      bytes.append(chunk);
      return cep::Status();
    });
    EXPECT_TRUE(status.ok()) << status.ToString();
    return bytes;
  }

  // Runs checkpoint `id` with one slot and one sink that acknowledge at once.
  void RunSimpleCheckpoint(CheckpointCoordinator& coordinator, uint64_t id) {
    ASSERT_EQ(coordinator.next_id(), id);
    coordinator.Begin(SourceSide(id), 1, 1);
    coordinator.OnSnapshotBytes(id, "fraud/slot-0/key-account_id", "state of " + std::to_string(id));
    coordinator.OnSlotSnapshotted(id, std::chrono::microseconds(1), {});
    coordinator.OnSinkFlushed(id);
    ASSERT_TRUE(coordinator.WaitIdle(kDeadline));
  }

  state::testing::TempDir dir_;
  std::unique_ptr<state::StateStore> memory_ = state::NewMemoryStore();
  std::unique_ptr<state::CheckpointStorage> storage_;
};

TEST_F(CheckpointCoordinatorTest, CompletesOnlyAfterEverySlotAndEverySinkAcknowledged) {
  CheckpointCoordinator coordinator(*storage_, 1);
  EXPECT_FALSE(coordinator.in_flight());
  EXPECT_EQ(coordinator.next_id(), 1u);

  coordinator.Begin(SourceSide(1), /*slots=*/2, /*sinks=*/2);
  EXPECT_EQ(coordinator.next_id(), 2u);
  coordinator.OnSnapshotBytes(1, "fraud/slot-0/key-account_id", "abc");
  coordinator.OnSnapshotBytes(1, "fraud/slot-1/key-account_id", "defg");
  coordinator.OnSnapshotBytes(1, "fraud/slot-0/key-account_id", "hi");
  coordinator.OnSnapshotBytes(1, "fraud/slot-1/key-none", "j");

  // Each partial acknowledgement leaves the checkpoint in flight and unwritten.
  const auto still_open = [&](const char* after) {
    EXPECT_FALSE(coordinator.WaitIdle(milliseconds(50))) << after;
    EXPECT_TRUE(coordinator.in_flight()) << after;
    EXPECT_TRUE(storage_->List().empty()) << after;
    EXPECT_EQ(coordinator.figures().completed, 0u) << after;
    EXPECT_FALSE(coordinator.TakeCommitted().has_value()) << after;
  };
  still_open("no acknowledgement");
  coordinator.OnSlotSnapshotted(1, std::chrono::microseconds(40), {});
  still_open("one slot of two");
  coordinator.OnSinkFlushed(1);
  still_open("one slot and one sink");
  coordinator.OnSinkFlushed(1);
  still_open("both sinks, one slot");
  coordinator.OnSlotSnapshotted(1, std::chrono::microseconds(25), {});

  ASSERT_TRUE(coordinator.WaitIdle(kDeadline));
  EXPECT_FALSE(coordinator.in_flight());
  EXPECT_EQ(storage_->List(), std::vector<uint64_t>{1});
  const CheckpointFigures figures = coordinator.figures();
  EXPECT_EQ(figures.completed, 1u);
  EXPECT_EQ(figures.failed, 0u);
  EXPECT_EQ(figures.last_id, 1u);
  EXPECT_EQ(figures.last_bytes, 10u);
  EXPECT_EQ(figures.last_completed_ms, SourceSide(1).created_ms);
  EXPECT_EQ(figures.last_longest_pause, std::chrono::microseconds(40));

  auto loaded = storage_->LoadLatestValid();
  ASSERT_TRUE(loaded) << loaded.error().ToString();
  ASSERT_TRUE(loaded->has_value());
  const state::Manifest& manifest = **loaded;
  // What Begin was given, plus the streams written (sorted by name).
  state::Manifest source_side = manifest;
  source_side.streams.clear();
  EXPECT_EQ(source_side, SourceSide(1));
  ASSERT_EQ(manifest.streams.size(), 3u);
  EXPECT_EQ(manifest.streams[0].name, "fraud/slot-0/key-account_id");
  EXPECT_EQ(manifest.streams[0].chunks, 2u);
  EXPECT_EQ(manifest.streams[0].bytes, 5u);
  EXPECT_EQ(manifest.streams[1].name, "fraud/slot-1/key-account_id");
  EXPECT_EQ(manifest.streams[1].bytes, 4u);
  EXPECT_EQ(manifest.streams[2].name, "fraud/slot-1/key-none");
  EXPECT_EQ(manifest.state_bytes(), 10u);
  EXPECT_EQ(ReadStream(manifest, "fraud/slot-0/key-account_id"), "abchi");
  EXPECT_EQ(ReadStream(manifest, "fraud/slot-1/key-account_id"), "defg");
  EXPECT_EQ(ReadStream(manifest, "fraud/slot-1/key-none"), "j");

  auto committed = coordinator.TakeCommitted();
  ASSERT_TRUE(committed.has_value());
  EXPECT_EQ(committed->id, 1u);
  EXPECT_EQ(committed->offsets, SourceSide(1).offsets);
  EXPECT_FALSE(coordinator.TakeCommitted().has_value()) << "taken once";
}

TEST_F(CheckpointCoordinatorTest, ACheckpointWithNoStateCompletesOnTheAcknowledgementsAlone) {
  CheckpointCoordinator coordinator(*storage_, 5);
  coordinator.Begin(SourceSide(5), 1, 1);
  coordinator.OnSlotSnapshotted(5, std::chrono::microseconds(0), {});
  coordinator.OnSinkFlushed(5);
  ASSERT_TRUE(coordinator.WaitIdle(kDeadline));
  EXPECT_EQ(coordinator.figures().completed, 1u);
  EXPECT_EQ(storage_->List(), std::vector<uint64_t>{5});
  auto loaded = storage_->Load(5);
  ASSERT_TRUE(loaded) << loaded.error().ToString();
  EXPECT_EQ(*loaded, SourceSide(5));
}

TEST_F(CheckpointCoordinatorTest, BytesAndAcknowledgementsOfAnotherIdAreIgnored) {
  CheckpointCoordinator coordinator(*storage_, 1);
  // Before any Begin: nothing is in flight, so nothing is taken.
  coordinator.OnSnapshotBytes(1, "early", "x");
  coordinator.OnSlotSnapshotted(1, std::chrono::microseconds(0), {});
  coordinator.OnSinkFlushed(1);
  EXPECT_FALSE(coordinator.in_flight());

  coordinator.Begin(SourceSide(1), 1, 1);
  coordinator.OnSnapshotBytes(7, "stale", "from checkpoint 7");
  coordinator.OnSnapshotBytes(0, "stale", "from checkpoint 0");
  coordinator.OnSlotSnapshotted(7, std::chrono::microseconds(999), {});
  coordinator.OnSinkFlushed(0);
  coordinator.OnSinkFlushed(2);
  EXPECT_FALSE(coordinator.WaitIdle(milliseconds(50)));
  EXPECT_TRUE(coordinator.in_flight()) << "acknowledgements of other ids do not count";
  EXPECT_TRUE(storage_->List().empty());

  coordinator.OnSnapshotBytes(1, "fraud/slot-0/key-none", "one");
  coordinator.OnSlotSnapshotted(1, std::chrono::microseconds(3), {});
  coordinator.OnSinkFlushed(1);
  ASSERT_TRUE(coordinator.WaitIdle(kDeadline));
  ASSERT_EQ(storage_->List(), std::vector<uint64_t>{1});

  // Late acknowledgements and bytes of checkpoint 1 while 2 is in flight.
  coordinator.Begin(SourceSide(2), 1, 1);
  coordinator.OnSnapshotBytes(1, "stale", "late bytes of 1");
  coordinator.OnSlotSnapshotted(1, std::chrono::microseconds(999), {});
  coordinator.OnSinkFlushed(1);
  EXPECT_FALSE(coordinator.WaitIdle(milliseconds(50)));
  EXPECT_TRUE(coordinator.in_flight());
  EXPECT_EQ(storage_->List(), std::vector<uint64_t>{1});
  coordinator.OnSnapshotBytes(2, "fraud/slot-0/key-none", "two");
  coordinator.OnSlotSnapshotted(2, std::chrono::microseconds(4), {});
  coordinator.OnSinkFlushed(2);
  ASSERT_TRUE(coordinator.WaitIdle(kDeadline));
  // A surplus acknowledgement once it is complete changes nothing either.
  coordinator.OnSinkFlushed(2);

  EXPECT_EQ(storage_->List(), (std::vector<uint64_t>{2, 1}));
  const CheckpointFigures figures = coordinator.figures();
  EXPECT_EQ(figures.completed, 2u);
  EXPECT_EQ(figures.failed, 0u);
  EXPECT_EQ(figures.last_longest_pause, std::chrono::microseconds(4));
  EXPECT_EQ(figures.last_bytes, 3u);
  for (uint64_t id : {1u, 2u}) {
    auto manifest = storage_->Load(id);
    ASSERT_TRUE(manifest) << manifest.error().ToString();
    ASSERT_EQ(manifest->streams.size(), 1u) << id << ": no stale stream";
    EXPECT_EQ(manifest->streams[0].name, "fraud/slot-0/key-none");
    EXPECT_EQ(ReadStream(*manifest, "fraud/slot-0/key-none"), id == 1 ? "one" : "two");
  }
}

// The commit's synced write fails (the chunks fit one batch, so it is the
// first write of the checkpoint).
TEST_F(CheckpointCoordinatorTest, AFailedCommitFailsThatCheckpointAndTheNextOneSucceeds) {
  state::FailingStore failing(*memory_);
  OpenStorage(failing);
  failing.Arm({.fail_at_write = 1, .only_once = true});
  CheckpointCoordinator coordinator(*storage_, 1);
  RunSimpleCheckpoint(coordinator, 1);
  EXPECT_EQ(failing.failed_writes(), 1u);
  CheckpointFigures figures = coordinator.figures();
  EXPECT_EQ(figures.failed, 1u);
  EXPECT_EQ(figures.completed, 0u);
  EXPECT_TRUE(storage_->List().empty());
  EXPECT_FALSE(coordinator.TakeCommitted().has_value());
  auto none = storage_->LoadLatestValid();
  ASSERT_TRUE(none) << none.error().ToString();
  EXPECT_FALSE(none->has_value());

  RunSimpleCheckpoint(coordinator, 2);
  figures = coordinator.figures();
  EXPECT_EQ(figures.failed, 1u);
  EXPECT_EQ(figures.completed, 1u);
  EXPECT_EQ(figures.last_id, 2u);
  EXPECT_EQ(storage_->List(), std::vector<uint64_t>{2});
  auto loaded = storage_->LoadLatestValid();
  ASSERT_TRUE(loaded) << loaded.error().ToString();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->id, 2u);
  EXPECT_EQ(ReadStream(**loaded, "fraud/slot-0/key-account_id"), "state of 2");
}

// A write of the state itself fails (batches of one byte: every Append writes)
// while the slots are still snapshotting: the checkpoint is given up at once,
// and what the slots hand in for it afterwards is ignored.
TEST_F(CheckpointCoordinatorTest, AFailedStateWriteGivesTheCheckpointUpBeforeItsAcknowledgements) {
  state::FailingStore failing(*memory_);
  OpenStorage(failing, {.retain = 3, .batch_bytes = 1});
  failing.Arm({.fail_at_write = 2, .only_once = true});
  CheckpointCoordinator coordinator(*storage_, 1);
  coordinator.Begin(SourceSide(1), 2, 1);
  coordinator.OnSnapshotBytes(1, "fraud/slot-0/key-none", "first");
  coordinator.OnSnapshotBytes(1, "fraud/slot-1/key-none", "second fails");
  ASSERT_TRUE(coordinator.WaitIdle(kDeadline)) << "given up without waiting for the slots";
  EXPECT_EQ(coordinator.figures().failed, 1u);
  EXPECT_EQ(failing.failed_writes(), 1u);
  // The slots and the sink finish checkpoint 1 anyway: too late, nothing is written.
  coordinator.OnSnapshotBytes(1, "fraud/slot-1/key-none", "more");
  coordinator.OnSlotSnapshotted(1, std::chrono::microseconds(0), {});
  coordinator.OnSlotSnapshotted(1, std::chrono::microseconds(0), {});
  coordinator.OnSinkFlushed(1);
  EXPECT_FALSE(coordinator.in_flight());
  EXPECT_TRUE(storage_->List().empty());

  RunSimpleCheckpoint(coordinator, 2);
  EXPECT_EQ(coordinator.figures().completed, 1u);
  EXPECT_EQ(coordinator.figures().failed, 1u);
  EXPECT_EQ(storage_->List(), std::vector<uint64_t>{2});
  auto loaded = storage_->Load(2);
  ASSERT_TRUE(loaded) << loaded.error().ToString();
  ASSERT_EQ(loaded->streams.size(), 1u);
  EXPECT_EQ(ReadStream(*loaded, "fraud/slot-0/key-account_id"), "state of 2");
}

TEST_F(CheckpointCoordinatorTest, ACheckpointNotCompleteWithinTheTimeoutIsGivenUp) {
  CheckpointCoordinator coordinator(*storage_, 1, milliseconds(200));
  coordinator.Begin(SourceSide(1), 1, 1);
  coordinator.OnSnapshotBytes(1, "fraud/slot-0/key-none", "state");
  coordinator.OnSlotSnapshotted(1, std::chrono::microseconds(0), {});
  // The sink never acknowledges.
  ASSERT_TRUE(coordinator.WaitIdle(kDeadline)) << "given up after 200 ms";
  CheckpointFigures figures = coordinator.figures();
  EXPECT_EQ(figures.failed, 1u);
  EXPECT_EQ(figures.completed, 0u);
  EXPECT_TRUE(storage_->List().empty());
  // The stuck sink comes back: too late for checkpoint 1.
  coordinator.OnSinkFlushed(1);
  EXPECT_FALSE(coordinator.in_flight());
  EXPECT_TRUE(storage_->List().empty());

  RunSimpleCheckpoint(coordinator, 2);
  figures = coordinator.figures();
  EXPECT_EQ(figures.failed, 1u);
  EXPECT_EQ(figures.completed, 1u);
  EXPECT_EQ(storage_->List(), std::vector<uint64_t>{2});
}

TEST_F(CheckpointCoordinatorTest, DestroyingItWithACheckpointInFlightWritesNothing) {
  {
    CheckpointCoordinator coordinator(*storage_, 1);
    coordinator.Begin(SourceSide(1), 1, 1);
    coordinator.OnSnapshotBytes(1, "fraud/slot-0/key-none", "state");
    coordinator.OnSlotSnapshotted(1, std::chrono::microseconds(0), {});
  }
  EXPECT_TRUE(storage_->List().empty());
  // A restarted coordinator continues with a fresh id.
  CheckpointCoordinator coordinator(*storage_, 1);
  RunSimpleCheckpoint(coordinator, 1);
  EXPECT_EQ(storage_->List(), std::vector<uint64_t>{1});
}

}  // namespace
}  // namespace engine
