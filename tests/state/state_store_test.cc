#include "state/state_store.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/state/failing_store.h"
#include "tests/state/temp_dir.h"

namespace state {
namespace {

using ::testing::HasSubstr;
using KeyValues = std::vector<std::pair<std::string, std::string>>;

// How each backend is opened (and reopened) by the contract tests.
struct MemoryBackend {
  static constexpr bool kPersistent = false;
  std::unique_ptr<StateStore> Open(const std::filesystem::path&) { return NewMemoryStore(); }
};
struct RocksDbBackend {
  static constexpr bool kPersistent = true;
  std::unique_ptr<StateStore> Open(const std::filesystem::path& dir) {
    auto store = OpenRocksDbStore(dir / "db");
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
};

template <typename Backend>
class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = backend_.Open(dir_.path());
    ASSERT_NE(store_, nullptr);
  }

  void Put(std::string key, std::string value) {
    WriteBatch batch;
    batch.puts.emplace_back(std::move(key), std::move(value));
    ASSERT_TRUE(store_->Write(batch).ok());
  }

  std::optional<std::string> Get(std::string_view key) {
    auto value = store_->Get(key);
    EXPECT_TRUE(value.ok());
    return value.ok() ? *value : std::nullopt;
  }

  KeyValues ScanAll(std::string_view prefix, size_t limit = SIZE_MAX) {
    KeyValues seen;
    EXPECT_TRUE(store_
                    ->Scan(prefix,
                           [&](std::string_view key, std::string_view value) {
                             seen.emplace_back(key, value);
                             return seen.size() < limit;
                           })
                    .ok());
    return seen;
  }

  testing::TempDir dir_;
  Backend backend_;
  std::unique_ptr<StateStore> store_;
};

using Backends = ::testing::Types<MemoryBackend, RocksDbBackend>;
TYPED_TEST_SUITE(StateStoreTest, Backends);

TYPED_TEST(StateStoreTest, GetsWhatWasWrittenAndNulloptForAbsentKeys) {
  this->Put("acct-1", "a");
  this->Put("acct-1", "b");  // overwrite
  this->Put(std::string("bin\0key", 7), std::string("v\0\xff", 3));
  EXPECT_EQ(this->Get("acct-1"), "b");
  EXPECT_EQ(this->Get(std::string("bin\0key", 7)), std::string("v\0\xff", 3));
  EXPECT_EQ(this->Get("acct-2"), std::nullopt);
  EXPECT_EQ(this->Get(""), std::nullopt);
}

TYPED_TEST(StateStoreTest, ScansOnlyThePrefixInKeyOrder) {
  for (const char* key : {"b/2", "a/1", "b/10", "b/1", "c", "b", "b/\xff", "ba"}) {
    this->Put(key, std::string("v-") + key);
  }
  EXPECT_EQ(
      this->ScanAll("b/"),
      (KeyValues{{"b/1", "v-b/1"}, {"b/10", "v-b/10"}, {"b/2", "v-b/2"}, {"b/\xff", "v-b/\xff"}}));
  EXPECT_EQ(this->ScanAll("").size(), 8u);
  EXPECT_EQ(this->ScanAll("").front().first, "a/1");
  EXPECT_TRUE(this->ScanAll("d").empty());
}

TYPED_TEST(StateStoreTest, ScanStopsWhenTheVisitorSaysSo) {
  for (int i = 0; i < 10; ++i) this->Put("k" + std::to_string(i), "v");
  const KeyValues seen = this->ScanAll("k", 3);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen.back().first, "k2");
}

TYPED_TEST(StateStoreTest, DeletePrefixRemovesExactlyThosekeys) {
  for (const char* key : {"chk/1/a", "chk/1/b", "chk/10/a", "chk/2/a", "chk/1"}) {
    this->Put(key, "v");
  }
  ASSERT_TRUE(this->store_->DeletePrefix("chk/1/").ok());
  EXPECT_EQ(this->ScanAll(""), (KeyValues{{"chk/1", "v"}, {"chk/10/a", "v"}, {"chk/2/a", "v"}}));
  // A prefix of 0xff bytes has no end key (RocksDB cannot use DeleteRange).
  this->Put("\xff\xff", "v");
  this->Put("\xff\xff\x01", "v");
  ASSERT_TRUE(this->store_->DeletePrefix("\xff\xff").ok());
  ASSERT_TRUE(this->store_->DeletePrefix("").ok());
  EXPECT_TRUE(this->ScanAll("").empty());
}

TYPED_TEST(StateStoreTest, AppliesABatchOfPutsAndDeletesTogether) {
  this->Put("old", "x");
  WriteBatch batch;
  batch.puts = {{"k1", "v1"}, {"k2", "v2"}};
  batch.deletes = {"old", "never-there"};
  batch.sync = true;
  EXPECT_EQ(batch.bytes(), 2u + 2 + 2 + 2 + 3 + 11);
  ASSERT_TRUE(this->store_->Write(batch).ok());
  EXPECT_EQ(this->ScanAll(""), (KeyValues{{"k1", "v1"}, {"k2", "v2"}}));
}

TYPED_TEST(StateStoreTest, ReportsSomeBytesAndItsName) {
  this->Put("key", std::string(10'000, 'x'));
  EXPECT_GT(this->store_->ApproximateBytes(), 0u);
  EXPECT_EQ(this->store_->name(), TypeParam::kPersistent ? "rocksdb" : "memory");
}

TYPED_TEST(StateStoreTest, KeepsDataAcrossReopenWhenPersistent) {
  if constexpr (!TypeParam::kPersistent) GTEST_SKIP() << "the memory store is not persistent";
  this->Put("acct-42", "state");
  this->store_.reset();
  this->store_ = this->backend_.Open(this->dir_.path());
  ASSERT_NE(this->store_, nullptr);
  EXPECT_EQ(this->Get("acct-42"), "state");
}

TEST(RocksDbStoreTest, SecondOpenOfTheSameDirectoryFailsNamingIt) {
  testing::TempDir dir;
  auto first = OpenRocksDbStore(dir.path());
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  auto second = OpenRocksDbStore(dir.path());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), cep::StatusCode::kUnavailable);
  EXPECT_THAT(second.error().message(), HasSubstr(dir.path().string()));
  EXPECT_THAT(second.error().message(), HasSubstr("LOCK"));
}

TEST(RocksDbStoreTest, MissingDirectoryWithoutCreateIsAnError) {
  testing::TempDir dir;
  auto store = OpenRocksDbStore(dir / "absent", RocksDbOptions{.create_if_missing = false});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), cep::StatusCode::kUnavailable);
  EXPECT_THAT(store.error().message(), HasSubstr((dir / "absent").string()));
}

TEST(FailingStoreTest, FailsTheNthWriteAndLaterOnesOrOnlyThatOne) {
  auto inner = NewMemoryStore();
  FailingStore store(*inner, {.fail_at_write = 2});
  WriteBatch batch;
  batch.puts = {{"k", "v"}};
  EXPECT_TRUE(store.Write(batch).ok());
  EXPECT_EQ(store.Write(batch).code(), cep::StatusCode::kUnavailable);
  EXPECT_EQ(store.Write(batch).code(), cep::StatusCode::kUnavailable);
  EXPECT_EQ(store.failed_writes(), 2u);

  store.Arm({.fail_at_write = 1, .only_once = true});
  EXPECT_FALSE(store.Write(batch).ok());
  EXPECT_TRUE(store.Write(batch).ok());
  EXPECT_EQ(store.writes(), 2u);
}

}  // namespace
}  // namespace state
