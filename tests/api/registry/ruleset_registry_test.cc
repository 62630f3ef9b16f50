#include "api/registry/ruleset_registry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/fakes/fake_clock.h"
#include "tests/state/failing_store.h"
#include "tests/state/temp_dir.h"

namespace api::registry {
namespace {

// A ruleset with a pattern rule whose threshold is `large` and a window rule;
// `extra` adds a third rule.
std::string Text(std::string_view name, int64_t version, int large = 500, bool extra = false) {
  std::string text = "ruleset " + std::string(name) + " version " + std::to_string(version) +
                     "\n\n"
                     "rule small_then_large {\n"
                     "  severity high\n"
                     "  key account_id\n"
                     "  pattern\n"
                     "    begin small where amount < 5.00\n"
                     "    next large where amount > " +
                     std::to_string(large) +
                     "\n"
                     "    within 10m\n"
                     "}\n\n"
                     "rule spend_30m {\n"
                     "  key account_id\n"
                     "  mode shadow\n"
                     "  window last 30m\n"
                     "  when count() >= 5\n"
                     "}\n";
  if (extra) {
    text +=
        "\nrule many_countries {\n"
        "  severity low\n"
        "  key card_id\n"
        "  window last 1d\n"
        "  when count_distinct(country) >= 4\n"
        "}\n";
  }
  return text;
}

// Records every batch, to check that the registry writes durably.
class RecordingStore final : public state::StateStore {
 public:
  explicit RecordingStore(state::StateStore& inner) : inner_(inner) {}
  cep::Status Write(const state::WriteBatch& batch) override {
    ++writes;
    if (!batch.sync) ++unsynced_writes;
    return inner_.Write(batch);
  }
  cep::Result<std::optional<std::string>> Get(std::string_view key) const override {
    return inner_.Get(key);
  }
  cep::Status Scan(std::string_view prefix,
                   cep::FunctionRef<bool(std::string_view, std::string_view)> visit) const override {
    return inner_.Scan(prefix, visit);
  }
  cep::Status DeletePrefix(std::string_view prefix) override { return inner_.DeletePrefix(prefix); }
  uint64_t ApproximateBytes() const override { return inner_.ApproximateBytes(); }
  std::string_view name() const override { return "recording"; }

  std::atomic<int> writes{0};
  std::atomic<int> unsynced_writes{0};

 private:
  state::StateStore& inner_;
};

class RulesetRegistryTest : public ::testing::Test {
 protected:
  std::unique_ptr<RulesetRegistry> OpenRegistry() {
    auto registry = RulesetRegistry::Open(store_.get(), &clock_);
    EXPECT_TRUE(registry.ok()) << registry.error().ToString();
    return std::move(registry).value();
  }

  fakes::FakeClock clock_;
  std::unique_ptr<state::StateStore> store_ = state::NewMemoryStore();
};

TEST_F(RulesetRegistryTest, PushStoresTheDeclaredVersionWithItsRules) {
  auto registry = OpenRegistry();
  auto pushed = registry->Push(Text("card_fraud", 3));
  ASSERT_TRUE(pushed.ok()) << pushed.error().message;
  EXPECT_TRUE(pushed->created);
  EXPECT_TRUE(pushed->diff_from_previous.empty());
  const StoredVersion& v = pushed->version;
  EXPECT_EQ(v.name, "card_fraud");
  EXPECT_EQ(v.version, 3u);
  EXPECT_EQ(v.source, Text("card_fraud", 3));
  EXPECT_EQ(v.created_ms, 1'700'000'000'000);
  ASSERT_EQ(v.rules.size(), 2u);
  EXPECT_EQ(v.rules[0].name, "small_then_large");
  EXPECT_EQ(v.rules[0].kind, "pattern");
  EXPECT_EQ(v.rules[0].severity, "high");
  EXPECT_EQ(v.rules[0].mode, "live");
  EXPECT_NE(v.rules[0].fingerprint, 0u);
  EXPECT_EQ(v.rules[1].name, "spend_30m");
  EXPECT_EQ(v.rules[1].kind, "window");
  EXPECT_EQ(v.rules[1].severity, "");
  EXPECT_EQ(v.rules[1].mode, "shadow");

  EXPECT_EQ(registry->Version("card_fraud", 3), v);
  EXPECT_FALSE(registry->Version("card_fraud", 2).has_value());
  EXPECT_FALSE(registry->Version("other", 3).has_value());
  auto info = registry->Info("card_fraud");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->versions, std::vector<uint32_t>{3});
  EXPECT_EQ(info->active, Activation{});
  EXPECT_EQ(registry->Latest("card_fraud"), 3u);
  EXPECT_FALSE(registry->Info("other").has_value());
}

TEST_F(RulesetRegistryTest, PushingTheSameTextAgainIsIdempotent) {
  auto registry = OpenRegistry();
  ASSERT_TRUE(registry->Push(Text("card_fraud", 1)).ok());
  ASSERT_TRUE(registry->Push(Text("card_fraud", 2, 900)).ok());
  clock_.Advance(cep::Duration::Minutes(5));
  auto again = registry->Push(Text("card_fraud", 2, 900));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->version.created_ms, 1'700'000'000'000);  // the first push's
  // Also an older version, stored identically: still fine.
  auto older = registry->Push(Text("card_fraud", 1));
  ASSERT_TRUE(older.ok()) << older.error().message;
  EXPECT_FALSE(older->created);
  EXPECT_EQ(registry->Info("card_fraud")->versions, (std::vector<uint32_t>{1, 2}));
}

TEST_F(RulesetRegistryTest, OtherTextUnderAStoredVersionIsAConflict) {
  auto registry = OpenRegistry();
  ASSERT_TRUE(registry->Push(Text("card_fraud", 3)).ok());
  ASSERT_TRUE(registry->Push(Text("card_fraud", 4)).ok());
  auto pushed = registry->Push(Text("card_fraud", 3, 600));
  ASSERT_FALSE(pushed.ok());
  EXPECT_EQ(pushed.error().kind, PushError::kConflict);
  EXPECT_EQ(pushed.error().message,
            "card_fraud version 3 is already stored with different text; bump the version (the "
            "latest is 4)");
  EXPECT_EQ(registry->Version("card_fraud", 3)->source, Text("card_fraud", 3));
}

TEST_F(RulesetRegistryTest, AVersionBelowTheLatestIsAConflict) {
  auto registry = OpenRegistry();
  ASSERT_TRUE(registry->Push(Text("card_fraud", 4)).ok());
  auto pushed = registry->Push(Text("card_fraud", 2));
  ASSERT_FALSE(pushed.ok());
  EXPECT_EQ(pushed.error().kind, PushError::kConflict);
  EXPECT_NE(pushed.error().message.find("below the latest stored version 4"), std::string::npos)
      << pushed.error().message;
  EXPECT_NE(pushed.error().message.find("push version 5 or higher"), std::string::npos);
  EXPECT_EQ(registry->Info("card_fraud")->versions, std::vector<uint32_t>{4});
  // Gaps upwards are fine, and other rulesets are independent.
  EXPECT_TRUE(registry->Push(Text("card_fraud", 9)).ok());
  EXPECT_TRUE(registry->Push(Text("velocity", 1)).ok());
}

TEST_F(RulesetRegistryTest, InvalidTextReturnsEveryDiagnosticAndStoresNothing) {
  RecordingStore recording(*store_);
  auto registry = RulesetRegistry::Open(&recording, &clock_).value();
  const std::string text =
      "ruleset broken version 1\n"
      "rule a {\n"
      "  key account_id\n"
      "  where no_such_field > 3\n"
      "  window last 30m\n"
      "  when count() >= 5\n"
      "}\n"
      "rule b {\n"
      "  key other_missing_field\n"
      "  window last 30m\n"
      "  when count() >= 5\n"
      "}\n";
  auto pushed = registry->Push(text);
  ASSERT_FALSE(pushed.ok());
  EXPECT_EQ(pushed.error().kind, PushError::kInvalid);
  ASSERT_EQ(pushed.error().diagnostics.size(), 2u);
  EXPECT_EQ(pushed.error().diagnostics[0].span.line, 4u);
  EXPECT_EQ(pushed.error().diagnostics[1].span.line, 9u);
  EXPECT_EQ(pushed.error().message, "the ruleset does not compile: 2 errors");
  EXPECT_EQ(recording.writes, 0);
  EXPECT_TRUE(registry->List().empty());

  auto validated = registry->Validate(text);
  ASSERT_FALSE(validated.ok());
  EXPECT_EQ(validated.error().size(), 2u);
  EXPECT_TRUE(registry->Validate(Text("fine", 1)).ok());
  EXPECT_EQ(recording.writes, 0);  // Validate never writes
}

TEST_F(RulesetRegistryTest, VersionsOutOfRangeAreInvalid) {
  auto registry = OpenRegistry();
  for (int64_t version : {int64_t{0}, int64_t{4'294'967'296}, int64_t{4'294'967'297}}) {
    auto pushed = registry->Push(Text("card_fraud", version));
    ASSERT_FALSE(pushed.ok()) << version;
    EXPECT_EQ(pushed.error().kind, PushError::kInvalid);
    ASSERT_EQ(pushed.error().diagnostics.size(), 1u);
    EXPECT_NE(pushed.error().diagnostics[0].message.find("between 1 and 4294967295"),
              std::string::npos)
        << pushed.error().diagnostics[0].message;
    EXPECT_EQ(pushed.error().diagnostics[0].span.line, 1u);
  }
  auto max = registry->Push(Text("card_fraud", 4'294'967'295));
  ASSERT_TRUE(max.ok()) << max.error().message;
  EXPECT_EQ(max->version.version, 4'294'967'295u);
  auto too_long = registry->Push(Text(std::string(kMaxNameBytes + 1, 'n'), 1));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().kind, PushError::kInvalid);
  EXPECT_TRUE(registry->Push(Text(std::string(kMaxNameBytes, 'n'), 1)).ok());
}

TEST_F(RulesetRegistryTest, DiffComparesRulesByNameAndFingerprint) {
  auto registry = OpenRegistry();
  ASSERT_TRUE(registry->Push(Text("card_fraud", 1, 500, /*extra=*/true)).ok());
  // v2: the pattern's threshold changes, the window rule stays, many_countries goes.
  auto v2 = registry->Push(Text("card_fraud", 2, 900));
  ASSERT_TRUE(v2.ok());
  const std::vector<RuleDiff> expected = {{"small_then_large", RuleChange::kChanged},
                                          {"spend_30m", RuleChange::kUnchanged},
                                          {"many_countries", RuleChange::kRemoved}};
  EXPECT_EQ(v2->diff_from_previous, expected);
  EXPECT_EQ(registry->Diff("card_fraud", 1, 2).value(), expected);
  const std::vector<RuleDiff> backwards = {{"small_then_large", RuleChange::kChanged},
                                           {"spend_30m", RuleChange::kUnchanged},
                                           {"many_countries", RuleChange::kAdded}};
  EXPECT_EQ(registry->Diff("card_fraud", 2, 1).value(), backwards);
  // Same rules, other text (a comment): nothing changed.
  ASSERT_TRUE(registry->Push("# tuned\n" + Text("card_fraud", 3, 900)).ok());
  const std::vector<RuleDiff> same = {{"small_then_large", RuleChange::kUnchanged},
                                      {"spend_30m", RuleChange::kUnchanged}};
  EXPECT_EQ(registry->Diff("card_fraud", 2, 3).value(), same);

  EXPECT_EQ(registry->Diff("card_fraud", 1, 7).error().code(), cep::StatusCode::kNotFound);
  EXPECT_EQ(registry->Diff("card_fraud", 7, 1).error().code(), cep::StatusCode::kNotFound);
  EXPECT_EQ(registry->Diff("nope", 1, 2).error().code(), cep::StatusCode::kNotFound);
  EXPECT_EQ(RuleChangeName(RuleChange::kAdded), "added");
  EXPECT_EQ(RuleChangeName(RuleChange::kRemoved), "removed");
  EXPECT_EQ(RuleChangeName(RuleChange::kChanged), "changed");
  EXPECT_EQ(RuleChangeName(RuleChange::kUnchanged), "unchanged");
}

TEST_F(RulesetRegistryTest, ActivationIsRecordedPerMode) {
  auto registry = OpenRegistry();
  ASSERT_TRUE(registry->Push(Text("card_fraud", 1)).ok());
  ASSERT_TRUE(registry->Push(Text("card_fraud", 2, 900)).ok());
  ASSERT_TRUE(registry->SetActive("card_fraud", "live", 1).ok());
  ASSERT_TRUE(registry->SetActive("card_fraud", "shadow", 2).ok());
  EXPECT_EQ(registry->Info("card_fraud")->active, (Activation{1, 2}));
  ASSERT_TRUE(registry->SetActive("card_fraud", "live", 2).ok());
  EXPECT_EQ(registry->Info("card_fraud")->active, (Activation{2, 2}));
  ASSERT_TRUE(registry->ClearActive("card_fraud", "shadow").ok());
  EXPECT_EQ(registry->Info("card_fraud")->active, (Activation{2, std::nullopt}));
  EXPECT_TRUE(registry->ClearActive("card_fraud", "shadow").ok());  // already inactive

  EXPECT_EQ(registry->SetActive("card_fraud", "live", 3).code(), cep::StatusCode::kNotFound);
  EXPECT_EQ(registry->SetActive("nope", "live", 1).code(), cep::StatusCode::kNotFound);
  EXPECT_EQ(registry->SetActive("card_fraud", "canary", 1).code(),
            cep::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry->ClearActive("card_fraud", "canary").code(),
            cep::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry->ClearActive("nope", "live").code(), cep::StatusCode::kNotFound);
  EXPECT_EQ(registry->Info("card_fraud")->active, (Activation{2, std::nullopt}));
}

TEST_F(RulesetRegistryTest, EverythingSurvivesAReopen) {
  {
    auto registry = OpenRegistry();
    ASSERT_TRUE(registry->Push(Text("card_fraud", 1)).ok());
    clock_.Advance(cep::Duration::Seconds(1));
    ASSERT_TRUE(registry->Push(Text("card_fraud", 2, 900)).ok());
    ASSERT_TRUE(registry->Push(Text("velocity", 7)).ok());
    ASSERT_TRUE(registry->SetActive("card_fraud", "live", 2).ok());
    ASSERT_TRUE(registry->SetActive("card_fraud", "shadow", 1).ok());
  }
  auto registry = OpenRegistry();
  const std::vector<RulesetInfo> list = registry->List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "card_fraud");
  EXPECT_EQ(list[0].versions, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(list[0].active, (Activation{2, 1}));
  EXPECT_EQ(list[1].name, "velocity");
  EXPECT_EQ(list[1].versions, std::vector<uint32_t>{7});
  EXPECT_EQ(list[1].active, Activation{});
  auto v2 = registry->Version("card_fraud", 2);
  ASSERT_TRUE(v2.has_value());
  EXPECT_EQ(v2->source, Text("card_fraud", 2, 900));
  EXPECT_EQ(v2->created_ms, 1'700'000'001'000);
  EXPECT_EQ(v2->rules.size(), 2u);
  // The version rules still hold after the reopen.
  EXPECT_EQ(registry->Push(Text("card_fraud", 1, 700)).error().kind, PushError::kConflict);
  EXPECT_FALSE(registry->Push(Text("card_fraud", 2, 900))->created);
  // And a stored version compiles again to the same rules.
  auto compiled = registry->Compile("card_fraud", 2);
  ASSERT_TRUE(compiled.ok()) << compiled.error().ToString();
  EXPECT_EQ(SummarizeRules(*compiled->program), v2->rules);
  EXPECT_EQ(compiled->program->version, 2u);
  EXPECT_EQ(registry->Compile("card_fraud", 3).error().code(), cep::StatusCode::kNotFound);
}

TEST_F(RulesetRegistryTest, WritesAreSyncedAndUnderTheRegistryPrefix) {
  RecordingStore recording(*store_);
  auto registry = RulesetRegistry::Open(&recording, &clock_).value();
  ASSERT_TRUE(registry->Push(Text("card_fraud", 1)).ok());
  ASSERT_TRUE(registry->SetActive("card_fraud", "live", 1).ok());
  EXPECT_EQ(recording.writes, 2);
  EXPECT_EQ(recording.unsynced_writes, 0);
  std::vector<std::string> keys;
  ASSERT_TRUE(store_->Scan("", [&](std::string_view key, std::string_view) {
                      keys.emplace_back(key);
                      return true;
                    }).ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"registry/rs/card_fraud/active",
                                            "registry/rs/card_fraud/v/0000000001"}));
}

TEST_F(RulesetRegistryTest, AFailedWriteStoresNothing) {
  state::FailingStore failing(*store_, {.fail_at_write = 1, .only_once = true});
  auto registry = RulesetRegistry::Open(&failing, &clock_).value();
  auto pushed = registry->Push(Text("card_fraud", 1));
  ASSERT_FALSE(pushed.ok());
  EXPECT_EQ(pushed.error().kind, PushError::kStorage);
  EXPECT_NE(pushed.error().message.find("injected"), std::string::npos) << pushed.error().message;
  EXPECT_FALSE(registry->Info("card_fraud").has_value());
  ASSERT_TRUE(registry->Push(Text("card_fraud", 1)).value().created);  // the retry stores it

  failing.Arm({.fail_at_write = 1, .only_once = true});
  EXPECT_EQ(registry->SetActive("card_fraud", "live", 1).code(), cep::StatusCode::kUnavailable);
  EXPECT_EQ(registry->Info("card_fraud")->active, Activation{});
}

TEST_F(RulesetRegistryTest, OpenRefusesACorruptRecordAndNamesIt) {
  state::WriteBatch batch;
  batch.puts.emplace_back("registry/rs/card_fraud/v/0000000001", "{not json");
  ASSERT_TRUE(store_->Write(batch).ok());
  auto registry = RulesetRegistry::Open(store_.get(), &clock_);
  ASSERT_FALSE(registry.ok());
  EXPECT_EQ(registry.error().code(), cep::StatusCode::kDataLoss);
  EXPECT_NE(registry.error().message().find("registry/rs/card_fraud/v/0000000001"),
            std::string::npos)
      << registry.error().message();
}

TEST_F(RulesetRegistryTest, OpenRefusesARecordUnderTheWrongKey) {
  auto registry = OpenRegistry();
  ASSERT_TRUE(registry->Push(Text("card_fraud", 1)).ok());
  auto value = store_->Get("registry/rs/card_fraud/v/0000000001").value();
  state::WriteBatch batch;
  batch.puts.emplace_back("registry/rs/card_fraud/v/0000000002", *value);
  ASSERT_TRUE(store_->Write(batch).ok());
  auto reopened = RulesetRegistry::Open(store_.get(), &clock_);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.error().code(), cep::StatusCode::kDataLoss);
}

TEST_F(RulesetRegistryTest, SurvivesAReopenOnRocksDb) {
  state::testing::TempDir dir;
  {
    auto store = state::OpenRocksDbStore(dir.path()).value();
    auto registry = RulesetRegistry::Open(store.get(), &clock_).value();
    ASSERT_TRUE(registry->Push(Text("card_fraud", 1)).ok());
    ASSERT_TRUE(registry->Push(Text("card_fraud", 12, 900)).ok());
    ASSERT_TRUE(registry->SetActive("card_fraud", "live", 12).ok());
  }
  auto store = state::OpenRocksDbStore(dir.path()).value();
  auto registry = RulesetRegistry::Open(store.get(), &clock_).value();
  auto info = registry->Info("card_fraud");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->versions, (std::vector<uint32_t>{1, 12}));  // numeric order, not text order
  EXPECT_EQ(info->active, (Activation{12, std::nullopt}));
  EXPECT_EQ(registry->Version("card_fraud", 12)->source, Text("card_fraud", 12, 900));
}

// 8 threads push v1..v8 of one ruleset in their own random order, each version
// twice. Whatever the interleaving: every version is stored once, with its own
// text, and exactly one push of each version reports created. A push of a
// version below the latest at that moment is a conflict; a version's pushes
// are then created once, identical, or conflicts.
TEST_F(RulesetRegistryTest, ConcurrentPushesKeepVersionsConsistent) {
  auto registry = OpenRegistry();
  constexpr int kThreads = 8;
  constexpr int kVersions = 8;
  std::atomic<int> created[kVersions + 1] = {};
  std::atomic<int> identical[kVersions + 1] = {};
  std::atomic<int> conflicts{0};
  std::atomic<int> other_errors{0};
  std::atomic<int> first_created{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Every thread first pushes the identical v1 (exactly one creates it).
      auto first = registry->Push(Text("card_fraud", 1));
      if (first.ok() && first->created) ++first_created;
      std::vector<int> order;
      for (int v = 2; v <= kVersions; ++v) order.insert(order.end(), {v, v});
      std::mt19937 rng(static_cast<uint32_t>(1234 + t));
      std::shuffle(order.begin(), order.end(), rng);
      for (int v : order) {
        auto pushed = registry->Push(Text("card_fraud", v, 100 * v));
        if (pushed.ok()) {
          ++(pushed->created ? created[v] : identical[v]);
        } else if (pushed.error().kind == PushError::kConflict) {
          ++conflicts;
        } else {
          ++other_errors;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(first_created, 1);
  EXPECT_EQ(other_errors, 0);
  const auto info = registry->Info("card_fraud");
  ASSERT_TRUE(info.has_value());
  // v8 is never below anything, so it is always stored; every stored version
  // was created by exactly one push, and holds its own text.
  EXPECT_EQ(info->versions.back(), 8u);
  int pushes = 0;
  for (int v = 2; v <= kVersions; ++v) {
    const bool stored = std::find(info->versions.begin(), info->versions.end(),
                                  static_cast<uint32_t>(v)) != info->versions.end();
    EXPECT_EQ(created[v], stored ? 1 : 0) << "v" << v;
    if (stored) {
      EXPECT_EQ(registry->Version("card_fraud", v)->source, Text("card_fraud", v, 100 * v));
    } else {
      EXPECT_EQ(identical[v], 0) << "v" << v;
    }
    pushes += created[v] + identical[v];
  }
  EXPECT_EQ(pushes + conflicts, kThreads * 2 * (kVersions - 1));
  EXPECT_TRUE(std::is_sorted(info->versions.begin(), info->versions.end()));
  // What memory says is what the store says.
  auto reopened = OpenRegistry();
  EXPECT_EQ(reopened->Info("card_fraud")->versions, info->versions);
}

}  // namespace
}  // namespace api::registry
