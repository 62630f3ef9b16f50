// RulesetRunner checkpoints: snapshot (with copy on write while the runner keeps
// going), restore into a fresh runner, continue both: the alerts must be equal.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <limits>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "cep/nfa/internal/byte_io.h"
#include "cep/ruleset_runner.h"
#include "rules/compiler.h"

namespace cep {
namespace {

// One rule per operator kind the runner keeps state for.
constexpr char kRules[] = R"(ruleset snap version 1
schema transaction
const BIG = 500

rule within_partials {
  key account_id
  pattern
    begin small where amount < 5.00 times 2
    followed_by large where amount > BIG
    within 10m
  on timeout emit
  emit { total: sum(small.amount) }
}

rule no_verify {
  key account_id
  pattern
    begin big where amount > BIG
    not_followed_by verify where kind == "verification"
    within 5m
}

rule skip_held {
  key card_id
  pattern
    begin a where kind == "purchase" one_or_more
    followed_by b where kind == "login"
    within 20m
  skip past_last_event
}

rule last_window {
  key account_id
  where kind == "purchase"
  window last 30m
  when count() >= 3 and sum(amount) > 100
  suppress 15m
  emit { n: count(), total: sum(amount) }
}

rule tumbling {
  key card_id
  window tumbling 1h
  when count() >= 2
  late accept 10m
}

rule hopping {
  key account_id
  window sliding 30m every 10m
  when count_distinct(country) >= 2
}

rule session {
  key device_id
  window session gap 15m
  when sum(amount) > 50
  late accept 5m
}
)";

std::shared_ptr<const Program> Compile(const std::string& text) {
  auto compiled = rules::CompileRuleset(text);
  EXPECT_TRUE(compiled.ok());
  if (!compiled.ok()) {
    for (const auto& d : compiled.error()) std::cerr << d.message << "\n";
    return nullptr;
  }
  return compiled->program;
}

// A step of a stream: an event, or a watermark.
using Step = std::variant<std::shared_ptr<const Event>, EventTime>;

class Stream {
 public:
  explicit Stream(const Program& program) : schema_(*program.schema) {}

  std::shared_ptr<const Event> Make(int64_t ts, const std::string& account, const std::string& card,
                                    const std::string& device, const std::string& kind,
                                    int64_t amount_cents, const std::string& country,
                                    int32_t partition = -1) {
    EventBuilder b(schema_.size());
    const std::string id = "e" + std::to_string(seq_);
    b.SetTs(EventTime::FromMillis(ts)).SetSeq(seq_++).SetId(id);
    b.Set(*schema_.Find("id"), Value::String(id));
    b.Set(*schema_.Find("account_id"), Value::String(account));
    b.Set(*schema_.Find("card_id"), Value::String(card));
    b.Set(*schema_.Find("device_id"), Value::String(device));
    b.Set(*schema_.Find("kind"), Value::String(kind));
    b.Set(*schema_.Find("country"), Value::String(country));
    b.Set(*schema_.Find("amount"), Value::Decimal(amount_cents * 10'000));
    b.Set(*schema_.Find("ts"), Value::Time(EventTime::FromMillis(ts)));
    Event event = b.Build();
    event.set_partition(partition);
    return std::make_shared<const Event>(std::move(event));
  }

  // Random traffic over a few keys: mostly in ts order, some out of order (and
  // some late), a watermark 2 minutes behind the latest ts every few events.
  std::vector<Step> Random(uint32_t seed, size_t events) {
    std::mt19937 rng(seed);
    auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
    static const char* kKinds[] = {"purchase", "purchase", "purchase", "login", "verification"};
    static const int64_t kAmounts[] = {100, 300, 400, 2'000, 9'000, 60'000};
    static const char* kCountries[] = {"US", "FR", "DE"};
    std::vector<Step> steps;
    int64_t now = 1'000'000;
    int64_t watermark = 0;
    for (size_t i = 0; i < events; ++i) {
      now += static_cast<int64_t>(pick(4) == 0 ? pick(40 * 60'000) : pick(90'000));
      int64_t ts = now;
      if (pick(6) == 0) ts -= static_cast<int64_t>(pick(12 * 60'000));  // out of order, maybe late
      const size_t key = pick(5);
      steps.push_back(Make(ts, "acct" + std::to_string(key), "card" + std::to_string(pick(4)),
                           "dev" + std::to_string(pick(3)), kKinds[pick(5)], kAmounts[pick(6)],
                           kCountries[pick(3)]));
      if (pick(4) == 0 && now - 120'000 > watermark) {
        watermark = now - 120'000;
        steps.push_back(EventTime::FromMillis(watermark));
      }
    }
    return steps;
  }

 private:
  const Schema& schema_;
  uint64_t seq_ = 0;
};

void Apply(RulesetRunner& runner, const Step& step, std::vector<RuleAlert>& out) {
  if (const auto* event = std::get_if<std::shared_ptr<const Event>>(&step)) {
    runner.OnEvent(*event);
  } else {
    runner.AdvanceWatermark(std::max(runner.watermark(), std::get<EventTime>(step)), out);
  }
}

void RunSteps(RulesetRunner& runner, const std::vector<Step>& steps, size_t begin, size_t end,
         std::vector<RuleAlert>& out) {
  for (size_t i = begin; i < end; ++i) Apply(runner, steps[i], out);
}

std::string FieldText(const FieldValue& v) {
  if (std::holds_alternative<std::monostate>(v)) return "null";
  if (const bool* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  if (const int64_t* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const double* d = std::get_if<double>(&v)) return std::to_string(*d);
  return "\"" + std::get<std::string>(v) + "\"";
}

// One line per alert: rule, kind, key, ts, event, stages' event ids, fields;
// grouped by (rule, key), each group in the order raised (the runner's promise:
// per (rule, key) in ts order; across keys, the order is not specified).
std::vector<std::string> Describe(const Program& program, std::vector<RuleAlert> alerts) {
  std::stable_sort(alerts.begin(), alerts.end(), [](const RuleAlert& a, const RuleAlert& b) {
    return a.rule != b.rule ? a.rule < b.rule : a.key < b.key;
  });
  std::vector<std::string> out;
  for (const RuleAlert& a : alerts) {
    std::string text = program.rules[a.rule].name + " " + std::to_string(static_cast<int>(a.kind)) +
                       " " + a.key + "@" + std::to_string(a.ts.millis());
    if (a.event) text += " by " + std::string(a.event->id());
    text += " [";
    for (const auto& stage : a.stages) {
      for (const auto& e : stage) text += std::string(e->id()) + " ";
      text += "/";
    }
    text += "]";
    for (const auto& [name, value] : a.fields) text += " " + name + "=" + FieldText(value);
    out.push_back(std::move(text));
  }
  return out;
}

// The alerts of one rule only.
std::vector<std::string> OfRule(const std::vector<std::string>& lines, const std::string& rule) {
  std::vector<std::string> out;
  for (const auto& line : lines) {
    if (line.rfind(rule + " ", 0) == 0) out.push_back(line);
  }
  return out;
}

// Takes a complete snapshot at once; returns the pieces TakeSnapshotBytes gave.
std::vector<std::string> SnapshotAll(RulesetRunner& runner) {
  std::vector<RuleAlert> ignored;
  runner.AdvanceWatermark(runner.watermark(), ignored);
  EXPECT_TRUE(ignored.empty());
  runner.BeginSnapshot();
  std::vector<std::string> pieces(1);
  runner.TakeSnapshotBytes(pieces.back());
  while (!runner.ContinueSnapshot(3)) {
    pieces.emplace_back();
    runner.TakeSnapshotBytes(pieces.back());
  }
  pieces.emplace_back();
  runner.TakeSnapshotBytes(pieces.back());
  return pieces;
}

std::string Join(const std::vector<std::string>& pieces) {
  std::string all;
  for (const auto& piece : pieces) all += piece;
  return all;
}

// Restore + FinishRestore of `bytes` into a fresh runner of `program`.
Result<RestoreStats> RestoreInto(RulesetRunner& runner, std::string_view bytes) {
  RETURN_IF_ERROR(runner.Restore(bytes));
  return runner.FinishRestore();
}

class RunnerSnapshotTest : public ::testing::Test {
 protected:
  RunnerSnapshotTest() : program_(Compile(kRules)), stream_(*program_) {}

  std::shared_ptr<const Program> program_;
  Stream stream_;
};

TEST_F(RunnerSnapshotTest, EveryOperatorKindRoundTrips) {
  const std::vector<Step> steps = stream_.Random(7, 600);
  const size_t cut = steps.size() / 2;
  RulesetRunner r1(program_);
  std::vector<RuleAlert> before;
  RunSteps(r1, steps, 0, cut, before);
  const std::vector<std::string> pieces = SnapshotAll(r1);

  // Every kind of state is in the snapshot, patterns with partial matches alive.
  const SnapshotStats& stats = r1.last_snapshot_stats();
  ASSERT_EQ(stats.rules.size(), program_->rules.size());
  for (const auto& rule : stats.rules) EXPECT_GT(rule.keys, 0u) << rule.name;
  EXPECT_GT(stats.rules[0].partial_matches, 0u);
  EXPECT_GT(stats.rules[1].partial_matches, 0u);
  EXPECT_GT(stats.rules[2].partial_matches, 0u);
  EXPECT_GT(stats.pending_events, 0u);
  EXPECT_EQ(stats.copied_on_write, 0u);

  RulesetRunner r2(program_);
  for (const auto& piece : pieces) ASSERT_TRUE(r2.Restore(piece).ok());
  auto restored = r2.FinishRestore();
  ASSERT_TRUE(restored.ok()) << restored.error().ToString();
  EXPECT_EQ(restored->keys_restored, r1.key_count());
  EXPECT_EQ(restored->keys_skipped, 0u);
  EXPECT_TRUE(restored->rules_started_empty.empty());
  EXPECT_EQ(restored->pending_events, stats.pending_events);
  EXPECT_EQ(r2.key_count(), r1.key_count());
  EXPECT_EQ(r2.watermark(), r1.watermark());

  std::vector<RuleAlert> a1, a2;
  RunSteps(r1, steps, cut, steps.size(), a1);
  RunSteps(r2, steps, cut, steps.size(), a2);
  r1.AdvanceWatermark(EventTime::Max(), a1);
  r2.AdvanceWatermark(EventTime::Max(), a2);
  const auto d1 = Describe(*program_, a1);
  EXPECT_EQ(d1, Describe(*program_, a2));
  // The comparison means something: every rule raised alerts after the cut.
  for (const Rule& rule : program_->rules) EXPECT_FALSE(OfRule(d1, rule.name).empty()) << rule.name;
}

// 800 events a minute apart over 12 accounts; account N's events are on input
// partition N % 2 (input keyed by account).
std::vector<std::shared_ptr<const Event>> TwoPartitionEventsOf(Stream& stream, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::shared_ptr<const Event>> events;
  static const char* const kKinds[] = {"purchase", "verify", "login", "transfer"};
  for (int i = 0; i < 800; ++i) {
    const int account = static_cast<int>(rng() % 12);
    const std::string a = std::to_string(account);
    events.push_back(stream.Make(60'000LL * i, "acct" + a, "card" + a, "dev" + a,
                                 kKinds[rng() % 4], static_cast<int64_t>(rng() % 90'000),
                                 rng() % 3 == 0 ? "FR" : "US", account % 2));
  }
  return events;
}

// Feeds events [begin, end) of partition `only` (all when negative), the
// watermark 2 minutes behind every fifth event.
void FeedPartition(RulesetRunner& runner, const std::vector<std::shared_ptr<const Event>>& all,
                   size_t begin, size_t end, int32_t only, std::vector<RuleAlert>& out) {
  for (size_t i = begin; i < end; ++i) {
    if (only < 0 || all[i]->partition() == only) runner.OnEvent(all[i]);
    if (i % 5 == 4) runner.AdvanceWatermark(all[i]->ts() - Duration::Minutes(2), out);
  }
}

// State is scoped by input partition: restoring the snapshot twice, once with
// partition 0's keys and once with partition 1's, and feeding each the later
// events of its partition, gives the alerts of the uninterrupted runner. (Every
// key of these events lives on one partition, as with input keyed by account.)
TEST_F(RunnerSnapshotTest, EachPartitionsStateRestoresOnItsOwn) {
  const std::vector<std::shared_ptr<const Event>> events = TwoPartitionEventsOf(stream_, 11);
  const size_t cut = events.size() / 2;
  const auto& feed = FeedPartition;
  RulesetRunner whole(program_);
  std::vector<RuleAlert> ignored;
  feed(whole, events, 0, cut, -1, ignored);
  const std::string bytes = Join(SnapshotAll(whole));

  std::vector<RuleAlert> expected, split;
  feed(whole, events, cut, events.size(), -1, expected);
  whole.AdvanceWatermark(EventTime::Max(), expected);
  size_t keys = 0;
  for (int32_t partition : {0, 1}) {
    RulesetRunner part(program_);
    ASSERT_TRUE(part.Restore(bytes, {partition}).ok());
    auto restored = part.FinishRestore();
    ASSERT_TRUE(restored.ok()) << restored.error().ToString();
    EXPECT_GT(restored->keys_restored, 0u);
    EXPECT_GT(restored->keys_of_other_partitions, 0u);
    keys += part.key_count();
    feed(part, events, cut, events.size(), partition, split);
    part.AdvanceWatermark(EventTime::Max(), split);
  }
  RulesetRunner all(program_);
  ASSERT_TRUE(RestoreInto(all, bytes).ok());
  EXPECT_EQ(keys, all.key_count()) << "every key restored by exactly one partition";
  const auto want = Describe(*program_, expected);
  EXPECT_GT(want.size(), 10u);
  EXPECT_EQ(Describe(*program_, split), want);
}

// Scale-out handover: two instances each ran one partition and snapshotted it;
// a third restores both snapshots on top of each other (each for its own
// partition) and goes on with both partitions: the alerts after the cut equal
// the uninterrupted runner's, and the same key twice within one snapshot is
// still refused while a key already restored by the other snapshot is counted.
TEST_F(RunnerSnapshotTest, SnapshotsOfTwoPartitionsRestoreIntoOneRunner) {
  const std::vector<std::shared_ptr<const Event>> events = TwoPartitionEventsOf(stream_, 12);
  const size_t cut = events.size() / 2;
  const auto& feed = FeedPartition;
  RulesetRunner whole(program_);
  std::vector<RuleAlert> ignored, expected, merged_out;
  feed(whole, events, 0, cut, -1, ignored);
  std::string by_partition[2];
  for (int32_t partition : {0, 1}) {
    RulesetRunner instance(program_);
    feed(instance, events, 0, cut, partition, ignored);
    by_partition[partition] = Join(SnapshotAll(instance));
  }
  feed(whole, events, cut, events.size(), -1, expected);
  whole.AdvanceWatermark(EventTime::Max(), expected);

  RulesetRunner merged(program_);
  size_t restored_keys = 0;
  for (int32_t partition : {0, 1}) {
    ASSERT_TRUE(merged.Restore(by_partition[partition], {partition}).ok());
    auto restored = merged.FinishRestore();
    ASSERT_TRUE(restored.ok()) << restored.error().ToString();
    EXPECT_GT(restored->keys_restored, 0u);
    EXPECT_EQ(restored->keys_conflicting, 0u);
    restored_keys += restored->keys_restored;
  }
  EXPECT_EQ(merged.key_count(), restored_keys);
  feed(merged, events, cut, events.size(), -1, merged_out);
  merged.AdvanceWatermark(EventTime::Max(), merged_out);
  const auto want = Describe(*program_, expected);
  EXPECT_GT(want.size(), 10u);
  EXPECT_EQ(Describe(*program_, merged_out), want);

  // Partition 0's snapshot again, claiming partition 1 too: its keys are
  // already there (restored for partition 0), so they count as conflicting.
  RulesetRunner twice(program_);
  ASSERT_TRUE(twice.Restore(by_partition[0], {0}).ok());
  ASSERT_TRUE(twice.FinishRestore().ok());
  ASSERT_TRUE(twice.Restore(by_partition[0], {1, 2}).ok());
  auto again = twice.FinishRestore();
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(again->keys_restored, 0u);
  // Every key of that snapshot is partition 0's: none is wanted, none conflicts.
  EXPECT_GT(again->keys_of_other_partitions, 0u);
  RulesetRunner same(program_);
  ASSERT_TRUE(same.Restore(by_partition[0], {0}).ok());
  ASSERT_TRUE(same.FinishRestore().ok());
  EXPECT_FALSE(same.Restore(by_partition[0], {}).ok())
      << "an unfiltered second restore of the same keys is refused";
}

TEST_F(RunnerSnapshotTest, SnapshotOfAnEmptyRunnerRestores) {
  RulesetRunner r1(program_);
  const std::string bytes = Join(SnapshotAll(r1));
  RulesetRunner r2(program_);
  auto restored = RestoreInto(r2, bytes);
  ASSERT_TRUE(restored.ok()) << restored.error().ToString();
  EXPECT_EQ(restored->keys_restored, 0u);
  EXPECT_EQ(r2.key_count(), 0u);
}

// Snapshots taken while the runner keeps going (ContinueSnapshot(1) between
// steps: events, watermarks and timers modify, delete and create keys) restore
// to the state at BeginSnapshot: continuing from there gives the alerts of a
// run that was never interrupted. Snapshotting does not change the alerts of
// the runner being snapshotted either.
TEST_F(RunnerSnapshotTest, RandomSnapshotsWhileRunningEqualAnUninterruptedRun) {
  uint64_t copied = 0;
  for (uint32_t seed = 1; seed <= 30; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Stream stream(*program_);
    const std::vector<Step> steps = stream.Random(seed, 300);
    std::mt19937 rng(seed * 7919);
    const size_t cut = rng() % steps.size();

    // The reference: the same calls, no snapshot.
    RulesetRunner r0(program_);
    std::vector<RuleAlert> ref_before, ref_after;
    RunSteps(r0, steps, 0, cut, ref_before);
    r0.AdvanceWatermark(r0.watermark(), ref_before);  // the barrier
    RunSteps(r0, steps, cut, steps.size(), ref_after);
    r0.AdvanceWatermark(EventTime::Max(), ref_after);

    RulesetRunner r1(program_);
    std::vector<RuleAlert> before, after;
    RunSteps(r1, steps, 0, cut, before);
    r1.AdvanceWatermark(r1.watermark(), before);
    r1.BeginSnapshot();
    std::vector<std::string> pieces(1);
    r1.TakeSnapshotBytes(pieces.back());
    size_t i = cut;
    bool done = false;
    while (!done) {
      done = r1.ContinueSnapshot(1);
      pieces.emplace_back();
      r1.TakeSnapshotBytes(pieces.back());
      if (i < steps.size()) Apply(r1, steps[i++], after);
      if (i == steps.size() && !done) {
        r1.AdvanceWatermark(EventTime::Max(), after);  // timers fire and delete keys mid-snapshot
      }
    }
    RunSteps(r1, steps, i, steps.size(), after);
    r1.AdvanceWatermark(EventTime::Max(), after);
    copied += r1.last_snapshot_stats().copied_on_write;
    EXPECT_EQ(Describe(*program_, before), Describe(*program_, ref_before));
    EXPECT_EQ(Describe(*program_, after), Describe(*program_, ref_after));

    RulesetRunner r2(program_);
    for (const auto& piece : pieces) ASSERT_TRUE(r2.Restore(piece).ok());
    auto restored = r2.FinishRestore();
    ASSERT_TRUE(restored.ok()) << restored.error().ToString();
    std::vector<RuleAlert> restored_after;
    RunSteps(r2, steps, cut, steps.size(), restored_after);
    r2.AdvanceWatermark(EventTime::Max(), restored_after);
    EXPECT_EQ(Describe(*program_, restored_after), Describe(*program_, ref_after));
  }
  EXPECT_GT(copied, 0u);  // the copy-on-write path ran
}

// Keys modified, deleted (their ids then reused by new keys) and created while
// ContinueSnapshot(1) runs: the snapshot is still the state at BeginSnapshot.
TEST_F(RunnerSnapshotTest, KeysChangedDeletedAndReusedDuringASnapshot) {
  RulesetRunner r0(program_), r1(program_);  // r0: the same calls, no snapshot
  std::vector<RuleAlert> ignored;
  // Keys 0..5 with state in every rule; devices 0-2 are old enough that the
  // watermark below fires and deletes their session state (freeing their ids).
  for (int k = 0; k < 6; ++k) {
    const int64_t ts = (k < 3 ? 10 : 20) * 60'000 + k;
    const std::string n = std::to_string(k);
    auto event = stream_.Make(ts, "acct" + n, "card" + n, "dev" + n, "purchase",
                              k % 2 == 0 ? 200 : 6'000, "US");
    r0.OnEvent(event);
    r1.OnEvent(event);
  }
  r0.AdvanceWatermark(EventTime::FromMillis(20 * 60'000 + 10), ignored);
  r1.AdvanceWatermark(EventTime::FromMillis(20 * 60'000 + 10), ignored);
  const size_t keys_at_begin = r1.key_count();
  r1.BeginSnapshot();
  std::string bytes;
  r1.TakeSnapshotBytes(bytes);
  const std::vector<Step> during = {
      stream_.Make(21 * 60'000, "acct4", "card4", "dev4", "purchase", 300, "FR"),  // modify
      EventTime::FromMillis(35 * 60'000),  // timers: dev0-2 sessions fire and go
      stream_.Make(36 * 60'000, "acct9", "card9", "dev9", "purchase", 9'000, "DE"),  // reuse ids
      stream_.Make(36 * 60'000 + 1, "acct8", "card8", "dev8", "purchase", 9'000, "DE"),
      stream_.Make(36 * 60'000 + 2, "acct5", "card5", "dev5", "purchase", 9'000, "DE"),
      EventTime::FromMillis(37 * 60'000),
  };
  std::vector<RuleAlert> a0, a1;
  size_t i = 0;
  std::string piece;
  for (bool done = false; !done;) {
    done = r1.ContinueSnapshot(1);
    r1.TakeSnapshotBytes(piece);
    bytes += piece;
    if (i < during.size()) {
      Apply(r0, during[i], a0);
      Apply(r1, during[i++], a1);
    }
  }
  // The deletions and the new keys came before the cursor reached them.
  EXPECT_EQ(i, during.size());
  EXPECT_GT(r1.last_snapshot_stats().copied_on_write, 0u);
  EXPECT_EQ(r1.last_snapshot_stats().rules[6].keys, 6u);  // session: all six, once each

  RulesetRunner r2(program_);
  auto restored = RestoreInto(r2, bytes);
  ASSERT_TRUE(restored.ok()) << restored.error().ToString();
  EXPECT_EQ(restored->keys_restored, keys_at_begin);
  EXPECT_EQ(r2.key_count(), keys_at_begin);

  std::vector<RuleAlert> a2;
  for (const Step& step : during) Apply(r2, step, a2);
  r0.AdvanceWatermark(EventTime::Max(), a0);
  r1.AdvanceWatermark(EventTime::Max(), a1);
  r2.AdvanceWatermark(EventTime::Max(), a2);
  const auto d0 = Describe(*program_, a0);
  EXPECT_FALSE(d0.empty());
  EXPECT_EQ(Describe(*program_, a1), d0);
  EXPECT_EQ(Describe(*program_, a2), d0);
}

// A rule whose text changed starts empty; the other rules keep their state.
TEST_F(RunnerSnapshotTest, AChangedRuleStartsEmptyAndTheOthersAreRestored) {
  std::string changed_text = kRules;
  const std::string from = "window tumbling 1h\n  when count() >= 2";
  const size_t at = changed_text.find(from);
  ASSERT_NE(at, std::string::npos);
  changed_text.replace(at, from.size(), "window tumbling 1h\n  when count() >= 3");
  auto changed = Compile(changed_text);
  ASSERT_NE(changed, nullptr);
  for (size_t r = 0; r < changed->rules.size(); ++r) {
    EXPECT_EQ(changed->rules[r].fingerprint == program_->rules[r].fingerprint,
              changed->rules[r].name != "tumbling")
        << changed->rules[r].name;
  }

  const std::vector<Step> steps = stream_.Random(11, 500);
  const size_t cut = steps.size() / 2;
  RulesetRunner r1(program_);
  std::vector<RuleAlert> ignored;
  RunSteps(r1, steps, 0, cut, ignored);
  const std::string bytes = Join(SnapshotAll(r1));
  const uint64_t tumbling_keys = r1.last_snapshot_stats().rules[4].keys;
  ASSERT_GT(tumbling_keys, 0u);

  RulesetRunner r2(changed);
  auto restored = RestoreInto(r2, bytes);
  ASSERT_TRUE(restored.ok()) << restored.error().ToString();
  EXPECT_EQ(restored->rules_started_empty, std::vector<std::string>{"tumbling"});
  EXPECT_TRUE(restored->rules_dropped.empty());
  EXPECT_EQ(restored->keys_skipped, tumbling_keys);
  EXPECT_EQ(restored->keys_restored, r1.key_count() - tumbling_keys);

  std::vector<RuleAlert> a1, a2;
  RunSteps(r1, steps, cut, steps.size(), a1);
  RunSteps(r2, steps, cut, steps.size(), a2);
  r1.AdvanceWatermark(EventTime::Max(), a1);
  r2.AdvanceWatermark(EventTime::Max(), a2);
  const auto d1 = Describe(*program_, a1);
  const auto d2 = Describe(*changed, a2);
  for (const Rule& rule : program_->rules) {
    if (rule.name != "tumbling") {
      EXPECT_EQ(OfRule(d1, rule.name), OfRule(d2, rule.name)) << rule.name;
    }
  }

  // A rule the new program does not have: its keys are dropped, reported by name.
  std::string fewer = kRules;
  fewer.erase(fewer.find("rule session {"));
  auto without_session = Compile(fewer);
  ASSERT_NE(without_session, nullptr);
  RulesetRunner r3(without_session);
  auto dropped = RestoreInto(r3, bytes);
  ASSERT_TRUE(dropped.ok()) << dropped.error().ToString();
  EXPECT_EQ(dropped->rules_dropped, std::vector<std::string>{"session"});
  EXPECT_TRUE(dropped->rules_started_empty.empty());
}

class RunnerSnapshotCorruptionTest : public RunnerSnapshotTest {
 protected:
  void SetUp() override {
    RulesetRunner r1(program_);
    std::vector<RuleAlert> ignored;
    const std::vector<Step> steps = stream_.Random(3, 120);
    RunSteps(r1, steps, 0, steps.size(), ignored);
    pieces_ = SnapshotAll(r1);
    bytes_ = Join(pieces_);
    ASSERT_GT(r1.last_snapshot_stats().pending_events, 0u);
  }

  // The status of restoring `bytes`, never a crash.
  Status Try(std::string_view bytes) {
    RulesetRunner runner(program_);
    auto result = RestoreInto(runner, bytes);
    return result.ok() ? Status::Ok() : result.error();
  }

  std::vector<std::string> pieces_;
  std::string bytes_;
};

TEST_F(RunnerSnapshotCorruptionTest, TheUntouchedBytesRestore) { EXPECT_TRUE(Try(bytes_).ok()); }

// Savepoint files are read in fixed-size pieces that cut records anywhere.
TEST_F(RunnerSnapshotCorruptionTest, PiecesOfAnySizeRestore) {
  for (size_t piece : {size_t{1}, size_t{7}, size_t{13}, size_t{1000}}) {
    RulesetRunner runner(program_);
    for (size_t at = 0; at < bytes_.size(); at += piece) {
      ASSERT_TRUE(runner.Restore(std::string_view(bytes_).substr(at, piece)).ok()) << piece;
    }
    auto restored = runner.FinishRestore();
    ASSERT_TRUE(restored.ok()) << piece << ": " << restored.error().ToString();
    EXPECT_GT(restored->keys_restored, 0u);
  }
}

TEST_F(RunnerSnapshotCorruptionTest, AFlippedByteAnywhereIsDataLoss) {
  const size_t stride = std::max<size_t>(1, bytes_.size() / 400);
  for (size_t i = 0; i < bytes_.size(); i += stride) {
    std::string bad = bytes_;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    const Status status = Try(bad);
    EXPECT_EQ(status.code(), StatusCode::kDataLoss) << "byte " << i << ": " << status.ToString();
  }
  std::string bad = bytes_;
  bad[20] = static_cast<char>(bad[20] ^ 0x01);  // in the header record's payload
  EXPECT_NE(Try(bad).message().find("checksum"), std::string::npos) << Try(bad).ToString();
}

TEST_F(RunnerSnapshotCorruptionTest, TruncatedBytesAreDataLoss) {
  const size_t stride = std::max<size_t>(1, bytes_.size() / 300);
  for (size_t size = 0; size < bytes_.size(); size += stride) {
    const Status status = Try(std::string_view(bytes_).substr(0, size));
    EXPECT_EQ(status.code(), StatusCode::kDataLoss) << "size " << size << ": " << status.ToString();
  }
  const Status status = Try(std::string_view(bytes_).substr(0, bytes_.size() - 3));
  EXPECT_NE(status.message().find("truncated"), std::string::npos) << status.ToString();
}

TEST_F(RunnerSnapshotCorruptionTest, AMissingEndRecordOrKeyRecordIsDataLoss) {
  // The pieces are whole records: the last is the end record, and with it
  // ContinueSnapshot(3) wrote three key records per piece.
  ASSERT_GE(pieces_.size(), 4u);
  // The end record is the last of the stream: a 13-byte record header, an 8-byte payload.
  const std::string without_end = bytes_.substr(0, bytes_.size() - 21);
  Status status = Try(without_end);
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("no end record"), std::string::npos) << status.ToString();

  // A key record missing in the middle: the end record's count disagrees.
  std::string missing = pieces_[0];
  const std::string& keys = pieces_[1];
  uint32_t first_size = 0;
  std::memcpy(&first_size, keys.data() + 8, sizeof(first_size));
  missing += keys.substr(13 + first_size);
  for (size_t i = 2; i < pieces_.size(); ++i) missing += pieces_[i];
  status = Try(missing);
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("key records"), std::string::npos) << status.ToString();

  // No header at all.
  status = Try(bytes_.substr(pieces_[0].size()));
  EXPECT_NE(status.message().find("not a header"), std::string::npos) << status.ToString();
  // Nothing.
  status = Try("");
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
}

TEST_F(RunnerSnapshotCorruptionTest, AWrongMagicIsDataLossEvenWithAGoodChecksum) {
  std::string bad = bytes_;
  bad[13] = 'X';  // the header record's first payload byte: the magic
  uint32_t size = 0;
  std::memcpy(&size, bad.data() + 8, sizeof(size));
  const uint64_t checksum = internal::Fnv1a(std::string_view(bad).substr(8, 5 + size));
  std::memcpy(bad.data(), &checksum, sizeof(checksum));
  const Status status = Try(bad);
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("magic"), std::string::npos) << status.ToString();
}

TEST_F(RunnerSnapshotCorruptionTest, GarbageIsDataLoss) {
  std::mt19937 rng(5);
  for (int i = 0; i < 200; ++i) {
    std::string garbage(rng() % 64, '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    EXPECT_EQ(Try(garbage).code(), StatusCode::kDataLoss);
  }
}

// Not a timed assertion: prints how long BeginSnapshot and a whole snapshot
// take, for 10,000 keys per rule (CEP_SNAPSHOT_MEASURE_KEYS=N for N; dev builds
// run under ASan, so figures are pessimistic).
TEST_F(RunnerSnapshotTest, MeasureASnapshot) {
  RulesetRunner runner(program_);
  std::vector<RuleAlert> ignored;
  const char* env = std::getenv("CEP_SNAPSHOT_MEASURE_KEYS");
  const int keys = env != nullptr ? std::atoi(env) : 10'000;
  for (int k = 0; k < keys; ++k) {
    const std::string n = std::to_string(k);
    runner.OnEvent(stream_.Make(1'000 + k, "acct" + n, "card" + n, "dev" + n, "purchase",
                                k % 2 == 0 ? 300 : 60'000, "US"));
  }
  runner.AdvanceWatermark(EventTime::FromMillis(200'000), ignored);
  for (int k = 0; k < 1'000; ++k) {
    const std::string n = std::to_string(k);
    runner.OnEvent(stream_.Make(300'000 + k, "acct" + n, "c", "d", "login", 1, "US"));
  }
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  runner.BeginSnapshot();
  const auto t1 = Clock::now();
  std::string bytes, piece;
  runner.TakeSnapshotBytes(bytes);
  while (!runner.ContinueSnapshot(1'000)) {
    runner.TakeSnapshotBytes(piece);
    bytes += piece;
  }
  runner.TakeSnapshotBytes(piece);
  bytes += piece;
  const auto t2 = Clock::now();
  RulesetRunner restored(program_);
  ASSERT_TRUE(RestoreInto(restored, bytes).ok());
  const auto t3 = Clock::now();
  auto us = [](auto d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count(); };
  std::cout << "keys (rule x key): " << runner.key_count() << ", bytes: " << bytes.size()
            << ", BeginSnapshot: " << us(t1 - t0) << " us, whole snapshot: " << us(t2 - t0)
            << " us, restore: " << us(t3 - t2) << " us\n";
  EXPECT_EQ(restored.key_count(), runner.key_count());
}

}  // namespace
}  // namespace cep
