#include "state/checkpoint_storage.h"

#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "tests/state/failing_store.h"
#include "tests/state/temp_dir.h"

namespace state {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Stream name -> its chunks, in order.
using Streams = std::map<std::string, std::vector<std::string>>;

// Routes spdlog's default logger into memory while alive.
class LogCapture {
 public:
  LogCapture()
      : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(256)),
        previous_(spdlog::default_logger()) {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("state-test-capture", sink_));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string Text() const {
    std::string text;
    for (const auto& line : sink_->last_formatted()) text += line;
    return text;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

// Deterministic chunks of varied sizes (some empty) for `names`.
Streams MakeStreams(const std::vector<std::string>& names, int chunks, uint32_t seed) {
  std::mt19937 random(seed);
  Streams streams;
  for (const auto& name : names) {
    for (int i = 0; i < chunks; ++i) {
      std::string chunk(random() % 3000, '\0');
      for (char& c : chunk) c = static_cast<char>(random());
      streams[name].push_back(std::move(chunk));
    }
  }
  return streams;
}

std::string Joined(const std::vector<std::string>& chunks) {
  std::string all;
  for (const auto& chunk : chunks) all += chunk;
  return all;
}

Manifest SampleManifest(uint64_t id) {
  Manifest m;
  m.created_ms = 1'700'000'000'000 + static_cast<int64_t>(id);
  m.watermark_ms = 1'699'999'000'000;
  m.offsets = {{"transactions", 0, static_cast<int64_t>(100 * id)}, {"transactions", 1, 7}};
  m.rulesets = {{"fraud", 2, 1000 * id}};
  m.sink = {{"alerts", 0, static_cast<int64_t>(id)}};
  return m;
}

// Appends the streams round-robin (interleaved across streams) and commits.
cep::Status WriteCheckpoint(CheckpointStorage& storage, uint64_t id, const Streams& streams) {
  ASSIGN_OR_RETURN(auto writer, storage.Begin(id));
  size_t longest = 0;
  for (const auto& [name, chunks] : streams) longest = std::max(longest, chunks.size());
  for (size_t i = 0; i < longest; ++i) {
    for (const auto& [name, chunks] : streams) {
      if (i < chunks.size()) RETURN_IF_ERROR(writer->Append(name, chunks[i]));
    }
  }
  return writer->Commit(SampleManifest(id));
}

std::string ReadAll(const CheckpointStorage& storage, const Manifest& manifest,
                    const std::string& stream) {
  std::string all;
  EXPECT_TRUE(storage
                  .ReadStream(manifest, stream,
                              [&](std::string_view chunk) {
                                all += chunk;
                                return cep::Status::Ok();
                              })
                  .ok());
  return all;
}

std::string Padded(uint64_t id) {
  std::string text = std::to_string(id);
  return std::string(20 - text.size(), '0') + text;
}

size_t CountKeys(const StateStore& store, const std::string& prefix) {
  size_t n = 0;
  EXPECT_TRUE(store.Scan(prefix, [&](std::string_view, std::string_view) { return ++n > 0; }).ok());
  return n;
}

std::unique_ptr<CheckpointStorage> OpenStorage(const fs::path& dir, StateStore& store,
                                               CheckpointStorageOptions options = {}) {
  auto storage = CheckpointStorage::Open(dir, store, options);
  EXPECT_TRUE(storage.ok()) << storage.error().ToString();
  return storage.ok() ? std::move(storage).value() : nullptr;
}

const std::vector<std::string> kNames = {"fraud/slot-0", "fraud/slot-0/group-1", "aml/slot-3"};

class CheckpointStorageTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::unique_ptr<StateStore> store_ = NewMemoryStore();
};

TEST_F(CheckpointStorageTest, RoundTripsSeveralStreamsOfManyChunksThroughRocksDb) {
  auto rocks = OpenRocksDbStore(dir_ / "db");
  ASSERT_TRUE(rocks.ok()) << rocks.error().ToString();
  // Small batches: the chunks reach the store in many writes.
  auto storage = OpenStorage(dir_ / "checkpoints", **rocks, {.retain = 3, .batch_bytes = 64 << 10});
  const Streams streams = MakeStreams(kNames, 300, 1);
  ASSERT_TRUE(WriteCheckpoint(*storage, 7, streams).ok());

  EXPECT_THAT(storage->List(), ElementsAre(7));
  EXPECT_TRUE(fs::exists(dir_ / "checkpoints" / "checkpoint-7.json"));
  auto loaded = storage->LoadLatestValid();
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  ASSERT_TRUE(loaded->has_value());
  const Manifest& m = **loaded;
  EXPECT_EQ(m.id, 7u);
  EXPECT_EQ(m.offsets, SampleManifest(7).offsets);
  EXPECT_EQ(m.rulesets, SampleManifest(7).rulesets);
  EXPECT_EQ(m.sink, SampleManifest(7).sink);
  ASSERT_EQ(m.streams.size(), 3u);
  EXPECT_EQ(m.streams[0].name, "aml/slot-3");  // sorted by name
  for (const StateStream& s : m.streams) {
    EXPECT_EQ(s.chunks, 300u) << s.name;
    EXPECT_EQ(s.bytes, Joined(streams.at(s.name)).size()) << s.name;
    EXPECT_EQ(ReadAll(*storage, m, s.name), Joined(streams.at(s.name))) << s.name;
  }
  int chunks_seen = 0;
  ASSERT_TRUE(storage
                  ->ReadStream(m, "fraud/slot-0",
                               [&](std::string_view chunk) {
                                 EXPECT_EQ(chunk, streams.at("fraud/slot-0")[chunks_seen++]);
                                 return cep::Status::Ok();
                               })
                  .ok());
  EXPECT_EQ(chunks_seen, 300);
  EXPECT_EQ(
      storage->ReadStream(m, "nope", [](std::string_view) { return cep::Status::Ok(); }).code(),
      cep::StatusCode::kNotFound);

  // And again after reopening both the store and the storage.
  storage.reset();
  rocks->reset();
  rocks = OpenRocksDbStore(dir_ / "db");
  ASSERT_TRUE(rocks.ok());
  storage = OpenStorage(dir_ / "checkpoints", **rocks);
  auto again = storage->Load(7);
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(*again, m);
}

TEST_F(CheckpointStorageTest, KeepsOnlyTheNewestRetainedCheckpoints) {
  auto storage = OpenStorage(dir_.path(), *store_, {.retain = 2});
  for (uint64_t id = 1; id <= 4; ++id) {
    ASSERT_TRUE(WriteCheckpoint(*storage, id, MakeStreams(kNames, 5, uint32_t(id))).ok());
  }
  EXPECT_THAT(storage->List(), ElementsAre(4, 3));
  EXPECT_FALSE(fs::exists(dir_ / "checkpoint-1.json"));
  EXPECT_FALSE(fs::exists(dir_ / "checkpoint-2.json"));
  EXPECT_EQ(CountKeys(*store_, "chk/" + Padded(1) + "/"), 0u);
  EXPECT_EQ(CountKeys(*store_, "chk/" + Padded(2) + "/"), 0u);
  EXPECT_GT(CountKeys(*store_, "chk/" + Padded(3) + "/"), 0u);
  EXPECT_TRUE(storage->Load(3).ok());
}

TEST_F(CheckpointStorageTest, BeginRefusesAnIdNotAboveTheLatest) {
  auto storage = OpenStorage(dir_.path(), *store_);
  ASSERT_TRUE(WriteCheckpoint(*storage, 5, MakeStreams(kNames, 1, 1)).ok());
  EXPECT_EQ(storage->Begin(5).error().code(), cep::StatusCode::kFailedPrecondition);
  EXPECT_EQ(storage->Begin(4).error().code(), cep::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(storage->Begin(6).ok());
}

TEST_F(CheckpointStorageTest, WriterRejectsBadStreamNamesAndUseAfterCommit) {
  auto storage = OpenStorage(dir_.path(), *store_);
  auto writer = storage->Begin(1);
  ASSERT_TRUE(writer.ok());
  EXPECT_EQ((*writer)->Append("", "x").code(), cep::StatusCode::kInvalidArgument);
  EXPECT_EQ((*writer)->Append("a b", "x").code(), cep::StatusCode::kInvalidArgument);
  ASSERT_TRUE((*writer)->Append("a", "x").ok());
  ASSERT_TRUE((*writer)->Commit(SampleManifest(99)).ok());
  EXPECT_EQ((*writer)->Append("a", "x").code(), cep::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*writer)->Commit({}).code(), cep::StatusCode::kFailedPrecondition);
  EXPECT_THAT(storage->List(), ElementsAre(1));  // the writer's id wins over the manifest's
}

TEST_F(CheckpointStorageTest, NoCheckpointIsNulloptAndAnEmptyCheckpointIsValid) {
  auto storage = OpenStorage(dir_.path(), *store_);
  auto none = storage->LoadLatestValid();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(WriteCheckpoint(*storage, 1, {}).ok());
  auto one = storage->LoadLatestValid();
  ASSERT_TRUE(one.ok() && one->has_value());
  EXPECT_TRUE((*one)->streams.empty());
}

TEST_F(CheckpointStorageTest, AbandonedCheckpointIsInvisibleAndCleanedOnOpen) {
  auto storage = OpenStorage(dir_.path(), *store_, {.retain = 3, .batch_bytes = 1024});
  ASSERT_TRUE(WriteCheckpoint(*storage, 1, MakeStreams(kNames, 10, 1)).ok());
  {
    // Dropped without Commit: invisible, and its chunks go with the writer.
    auto writer = storage->Begin(2);
    ASSERT_TRUE(writer.ok());
    const Streams second = MakeStreams(kNames, 10, 2);
    for (const auto& chunk : second.at("aml/slot-3")) {
      ASSERT_TRUE((*writer)->Append("aml/slot-3", chunk).ok());
    }
    EXPECT_GT(CountKeys(*store_, "chk/" + Padded(2) + "/"), 0u);
    EXPECT_THAT(storage->List(), ElementsAre(1));
  }
  EXPECT_EQ(CountKeys(*store_, "chk/" + Padded(2) + "/"), 0u);

  // A crash leaves chunks (of ids around the valid one) and a half-written manifest.
  storage.reset();
  WriteBatch crashed;
  for (uint64_t id : {0ull, 2ull, 19ull, 100ull, 18'446'744'073'709'551'615ull}) {
    crashed.puts.emplace_back("chk/" + Padded(id) + "/s/" + Padded(0), "orphan");
  }
  crashed.puts.emplace_back("chk/!not-a-chunk", "someone else's key: left alone");
  ASSERT_TRUE(store_->Write(crashed).ok());
  std::ofstream(dir_ / "checkpoint-2.json.tmp") << "{\"half";
  LogCapture log;
  storage = OpenStorage(dir_.path(), *store_);
  ASSERT_NE(storage, nullptr);
  EXPECT_FALSE(fs::exists(dir_ / "checkpoint-2.json.tmp"));
  EXPECT_EQ(CountKeys(*store_, "chk/"), CountKeys(*store_, "chk/" + Padded(1) + "/") + 1);
  EXPECT_THAT(log.Text(), HasSubstr("removed the unfinished manifest"));
  EXPECT_THAT(log.Text(), HasSubstr("removed the chunks of checkpoint 19, which has no manifest"));
  EXPECT_THAT(log.Text(), HasSubstr("checkpoint 18446744073709551615"));
  auto loaded = storage->LoadLatestValid();
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->id, 1u);
}

TEST_F(CheckpointStorageTest, CorruptNewestManifestFallsBackToThePreviousOne) {
  auto storage = OpenStorage(dir_.path(), *store_);
  ASSERT_TRUE(WriteCheckpoint(*storage, 1, MakeStreams(kNames, 4, 1)).ok());
  ASSERT_TRUE(WriteCheckpoint(*storage, 2, MakeStreams(kNames, 4, 2)).ok());
  {
    std::fstream file(dir_ / "checkpoint-2.json", std::ios::in | std::ios::out);
    file.seekp(40);
    file.put('#');
  }
  LogCapture log;
  auto loaded = storage->LoadLatestValid();
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->id, 1u);
  EXPECT_THAT(log.Text(), HasSubstr("checkpoint 2 is unusable ("));
  EXPECT_THAT(log.Text(), HasSubstr("checkpoint-2.json: checkpoint manifest:"));
  EXPECT_THAT(log.Text(), HasSubstr("trying the one before"));
  EXPECT_EQ(storage->Load(2).error().code(), cep::StatusCode::kDataLoss);
}

TEST_F(CheckpointStorageTest, CorruptOrMissingChunkFallsBackToThePreviousOne) {
  auto storage = OpenStorage(dir_.path(), *store_);
  ASSERT_TRUE(WriteCheckpoint(*storage, 1, MakeStreams(kNames, 4, 1)).ok());
  ASSERT_TRUE(WriteCheckpoint(*storage, 2, MakeStreams(kNames, 4, 2)).ok());
  const std::string key = "chk/" + Padded(2) + "/fraud/slot-0/" + Padded(2);
  auto value = store_->Get(key);
  ASSERT_TRUE(value.ok() && value->has_value());
  std::string flipped = **value;
  flipped[flipped.size() / 2] ^= 0x10;
  WriteBatch overwrite;
  overwrite.puts = {{key, flipped}};
  ASSERT_TRUE(store_->Write(overwrite).ok());
  {
    LogCapture log;
    auto loaded = storage->LoadLatestValid();
    ASSERT_TRUE(loaded.ok() && loaded->has_value());
    EXPECT_EQ((*loaded)->id, 1u);
    EXPECT_THAT(log.Text(), HasSubstr("checkpoint 2 is unusable (checkpoint 2: stream "
                                      "'fraud/slot-0' fails its CRC32 check)"));
  }
  WriteBatch remove;
  remove.deletes = {key};
  ASSERT_TRUE(store_->Write(remove).ok());
  EXPECT_THAT(storage->Load(2).error().message(),
              HasSubstr("stream 'fraud/slot-0': chunk 2 of 4 is missing"));
  // Damage to every checkpoint: refusing to start beats starting empty.
  ASSERT_TRUE(store_->DeletePrefix("chk/" + Padded(1) + "/aml").ok());
  auto none = storage->LoadLatestValid();
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code(), cep::StatusCode::kDataLoss);
  EXPECT_THAT(none.error().message(), HasSubstr("none of the 2 checkpoints"));
}

TEST_F(CheckpointStorageTest, FailedWriteFailsTheCommitAndKeepsThePreviousCheckpoint) {
  const Streams first = MakeStreams(kNames, 6, 1);
  const Streams second = MakeStreams(kNames, 6, 2);
  const CheckpointStorageOptions options{.retain = 3, .batch_bytes = 4096};
  // How many writes checkpoint 2 takes when nothing fails.
  uint64_t writes = 0;
  {
    testing::TempDir dir;
    FailingStore store(*store_);
    auto storage = OpenStorage(dir.path(), store, options);
    ASSERT_TRUE(WriteCheckpoint(*storage, 1, first).ok());
    store.Arm({});
    ASSERT_TRUE(WriteCheckpoint(*storage, 2, second).ok());
    writes = store.writes();
    ASSERT_TRUE(store_->DeletePrefix("").ok());
  }
  ASSERT_GT(writes, 3u);
  for (uint64_t n = 1; n <= writes; ++n) {
    for (bool only_once : {false, true}) {
      SCOPED_TRACE("write " + std::to_string(n) + (only_once ? " only" : " and later"));
      testing::TempDir dir;
      auto inner = NewMemoryStore();
      FailingStore store(*inner);
      auto storage = OpenStorage(dir.path(), store, options);
      ASSERT_TRUE(WriteCheckpoint(*storage, 1, first).ok());
      store.Arm({.fail_at_write = n, .only_once = only_once});
      const cep::Status status = WriteCheckpoint(*storage, 2, second);
      EXPECT_EQ(status.code(), cep::StatusCode::kUnavailable);
      EXPECT_THAT(status.message(), HasSubstr("writing checkpoint 2"));
      store.Arm({});
      EXPECT_THAT(storage->List(), ElementsAre(1));
      auto loaded = storage->LoadLatestValid();
      ASSERT_TRUE(loaded.ok() && loaded->has_value());
      EXPECT_EQ((*loaded)->id, 1u);
      EXPECT_EQ(ReadAll(*storage, **loaded, "aml/slot-3"), Joined(first.at("aml/slot-3")));
      EXPECT_EQ(CountKeys(*inner, "chk/" + Padded(2) + "/"), 0u);
      // The next attempt succeeds.
      ASSERT_TRUE(WriteCheckpoint(*storage, 2, second).ok());
      EXPECT_TRUE(storage->Load(2).ok());
    }
  }
}

TEST_F(CheckpointStorageTest, ExportThenImportRoundTripsAndBecomesTheLatest) {
  auto rocks = OpenRocksDbStore(dir_ / "db");
  ASSERT_TRUE(rocks.ok());
  auto source = OpenStorage(dir_ / "source", **rocks);
  const Streams streams = MakeStreams(kNames, 20, 3);
  ASSERT_TRUE(WriteCheckpoint(*source, 4, MakeStreams(kNames, 2, 4)).ok());
  ASSERT_TRUE(WriteCheckpoint(*source, 5, streams).ok());
  ASSERT_TRUE(source->Export(5, dir_ / "savepoint").ok());
  EXPECT_TRUE(fs::exists(dir_ / "savepoint" / "manifest.json"));
  EXPECT_TRUE(fs::exists(dir_ / "savepoint" / "fraud%2Fslot-0%2Fgroup-1.state"));
  EXPECT_EQ(source->Export(4, dir_ / "savepoint").code(), cep::StatusCode::kAlreadyExists);

  auto target_store = NewMemoryStore();
  auto target = OpenStorage(dir_ / "target", *target_store);
  ASSERT_TRUE(WriteCheckpoint(*target, 11, MakeStreams(kNames, 2, 11)).ok());
  auto id = target->Import(dir_ / "savepoint");
  ASSERT_TRUE(id.ok()) << id.error().ToString();
  EXPECT_EQ(*id, 12u);
  EXPECT_THAT(target->List(), ElementsAre(12, 11));
  auto loaded = target->LoadLatestValid();
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  auto original = source->Load(5);
  ASSERT_TRUE(original.ok());
  EXPECT_EQ((*loaded)->id, 12u);
  EXPECT_EQ((*loaded)->offsets, original->offsets);
  EXPECT_EQ((*loaded)->rulesets, original->rulesets);
  EXPECT_EQ((*loaded)->sink, original->sink);
  EXPECT_EQ((*loaded)->created_ms, original->created_ms);
  ASSERT_EQ((*loaded)->streams.size(), original->streams.size());
  for (size_t i = 0; i < original->streams.size(); ++i) {
    const StateStream& s = (*loaded)->streams[i];
    EXPECT_EQ(s.name, original->streams[i].name);
    EXPECT_EQ(s.bytes, original->streams[i].bytes);
    EXPECT_EQ(s.crc32, original->streams[i].crc32);
    EXPECT_EQ(ReadAll(*target, **loaded, s.name), Joined(streams.at(s.name)));
  }
}

TEST_F(CheckpointStorageTest, ImportOfATamperedSavepointIsRejectedAndWritesNothing) {
  auto source = OpenStorage(dir_ / "source", *store_);
  ASSERT_TRUE(WriteCheckpoint(*source, 1, MakeStreams(kNames, 5, 1)).ok());
  ASSERT_TRUE(source->Export(1, dir_ / "good").ok());

  auto target_store = NewMemoryStore();
  auto target = OpenStorage(dir_ / "target", *target_store);
  ASSERT_TRUE(WriteCheckpoint(*target, 3, MakeStreams(kNames, 2, 3)).ok());
  const size_t keys_before = CountKeys(*target_store, "");

  struct Tamper {
    std::string name;
    std::function<void(const fs::path&)> apply;
    std::string expected;
  };
  const fs::path stream_file = "aml%2Fslot-3.state";
  const std::vector<Tamper> tampers = {
      {"flipped byte",
       [&](const fs::path& d) {
         std::fstream f(d / stream_file, std::ios::in | std::ios::out | std::ios::binary);
         f.seekg(10);
         const char c = static_cast<char>(f.get());
         f.seekp(10);
         f.put(static_cast<char>(c ^ 1));
       },
       "fails its CRC32 check"},
      {"truncated stream", [&](const fs::path& d) { fs::resize_file(d / stream_file, 100); },
       "has 100 bytes, its manifest says"},
      {"missing stream", [&](const fs::path& d) { fs::remove(d / stream_file); },
       "savepoint stream 'aml/slot-3'"},
      {"edited manifest",
       [&](const fs::path& d) {
         std::fstream f(d / "manifest.json", std::ios::in | std::ios::out);
         f.seekp(60);
         f.put('7');
       },
       "manifest.json: checkpoint manifest:"},
      {"no manifest", [&](const fs::path& d) { fs::remove(d / "manifest.json"); },
       "importing savepoint"},
  };
  for (const Tamper& tamper : tampers) {
    SCOPED_TRACE(tamper.name);
    const fs::path copy = dir_ / ("tampered-" + std::to_string(&tamper - tampers.data()));
    fs::copy(dir_ / "good", copy);
    tamper.apply(copy);
    auto id = target->Import(copy);
    ASSERT_FALSE(id.ok());
    EXPECT_THAT(id.error().message(), HasSubstr(tamper.expected));
    EXPECT_EQ(CountKeys(*target_store, ""), keys_before);
    EXPECT_THAT(target->List(), ElementsAre(3));
  }
  auto id = target->Import(dir_ / "good");
  ASSERT_TRUE(id.ok()) << id.error().ToString();
  EXPECT_EQ(*id, 4u);
}

// Not run by default: the cost of a checkpoint the size the architecture plans
// for (1,000,000 keys of ~200 bytes = 200 MB, in 1 MiB chunks) written to RocksDB
// through a Writer, verified and read back. Run with
//   state_tests --gtest_also_run_disabled_tests --gtest_filter='*Measure*'
TEST_F(CheckpointStorageTest, DISABLED_MeasureTwoHundredMegabytesToRocksDb) {
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  constexpr int kRecords = 1'000'000;
  constexpr size_t kRecordBytes = 200;
  constexpr size_t kChunkBytes = 1 << 20;
  constexpr int kStreams = 8;
  auto rocks = OpenRocksDbStore(dir_ / "db");
  ASSERT_TRUE(rocks.ok());
  auto storage = OpenStorage(dir_ / "checkpoints", **rocks);

  std::mt19937_64 random(42);
  Clock::duration in_storage{};  // Begin, Append and Commit only, not making records
  auto timed = [&](auto&& call) {
    const auto t0 = Clock::now();
    auto result = call();
    in_storage += Clock::now() - t0;
    return result;
  };
  auto writer = timed([&] { return storage->Begin(1); });
  ASSERT_TRUE(writer.ok());
  std::vector<std::string> pending(kStreams);
  for (int i = 0; i < kRecords; ++i) {
    std::string& chunk = pending[static_cast<size_t>(i % kStreams)];
    std::string record = "acct-" + std::to_string(i) + ":";
    while (record.size() < kRecordBytes) {
      record.push_back(static_cast<char>('a' + random() % 26));  // ~4.7 bits per byte
    }
    chunk += record;
    if (chunk.size() + kRecordBytes > kChunkBytes) {
      const std::string stream = "fraud/slot-" + std::to_string(i % kStreams);
      ASSERT_TRUE(timed([&] { return (*writer)->Append(stream, chunk); }).ok());
      chunk.clear();
    }
  }
  for (int s = 0; s < kStreams; ++s) {
    const std::string stream = "fraud/slot-" + std::to_string(s);
    ASSERT_TRUE(timed([&] { return (*writer)->Append(stream, pending[size_t(s)]); }).ok());
  }
  ASSERT_TRUE(timed([&] { return (*writer)->Commit(SampleManifest(1)); }).ok());
  const auto written = Clock::now();
  auto loaded = storage->LoadLatestValid();
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  const auto verified = Clock::now();
  uint64_t read_bytes = 0;
  for (const StateStream& s : (*loaded)->streams) {
    ASSERT_TRUE(storage
                    ->ReadStream(**loaded, s.name,
                                 [&](std::string_view chunk) {
                                   read_bytes += chunk.size();
                                   return cep::Status::Ok();
                                 })
                    .ok());
  }
  const auto read = Clock::now();
  uint64_t chunks = 0;
  for (const StateStream& s : (*loaded)->streams) chunks += s.chunks;
  uint64_t on_disk = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir_ / "db")) {
    if (entry.is_regular_file()) on_disk += entry.file_size();
  }
  const double bytes_before_delete = static_cast<double>((*rocks)->ApproximateBytes());
  // What retention costs: DeleteRange plus CompactRange of the checkpoint's keys.
  const auto delete_start = Clock::now();
  ASSERT_TRUE((*rocks)->DeletePrefix("chk/").ok());
  const auto deleted = Clock::now();
  const double mb = static_cast<double>((*loaded)->state_bytes()) / 1e6;
  std::printf(
      "checkpoint: %.1f MB in %llu chunks; Begin+Append+Commit %.2f s (%.0f MB/s); "
      "LoadLatestValid (verify) %.2f s; read back %.2f s (%llu bytes); "
      "ApproximateBytes %.1f MB; RocksDB dir %.1f MB; DeletePrefix %.2f s, then %.1f MB\n",
      mb, static_cast<unsigned long long>(chunks), seconds(in_storage), mb / seconds(in_storage),
      seconds(verified - written), seconds(read - verified),
      static_cast<unsigned long long>(read_bytes), bytes_before_delete / 1e6,
      static_cast<double>(on_disk) / 1e6, seconds(deleted - delete_start),
      static_cast<double>((*rocks)->ApproximateBytes()) / 1e6);
}

}  // namespace
}  // namespace state
