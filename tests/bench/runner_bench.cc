// The whole per-event path of a compiled ruleset: rule text compiled with
// rules::CompileRuleset, run by cep::RulesetRunner in event time, events built
// beforehand (pre-decoded). Issue #3 targets:
//   1. SEQ(A; B) within 10s keyed over 1,000,000 accounts: >= 10 M events/s.
//   2. 50 rules (tests/bench/bench_50_rules.rules: patterns, `last` windows, 10
//      regexes) over 1,000,000 accounts: >= 2 M events/s; once with the regex
//      bits set beforehand, once with the Hyperscan scan in the EventAssembler.
//   4. Bytes of state per active key (`last 30m`, a two-stage pattern).
// The watermark follows replay's automatic one (largest ts - 1 ms), raised
// whenever ts moves on. Reported per event (items/s = events/s); CPU time.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cep/event.h"
#include "cep/ruleset_runner.h"
#include "engine/decode/event_assembler.h"
#include "rules/compiler.h"

namespace {

using EventPtr = std::shared_ptr<const cep::Event>;

constexpr uint32_t kAccounts = 1'000'000;

rules::CompiledRuleset Compile(const std::string& text) {
  auto compiled = rules::CompileRuleset(text);
  CHECK(compiled.has_value(), "benchmark ruleset compiles");
  return std::move(compiled).value();
}

std::string ReadBenchFile(const char* name) {
  std::ifstream in(std::string(CEP_BENCH_DIR) + "/" + name);
  CHECK(static_cast<bool>(in), "benchmark ruleset readable");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string AccountName(uint32_t account) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "acct-%07u", account);
  return buf;
}

// Feeds events the way `cep replay` does with an automatic watermark: each event,
// then the watermark to ts - 1 ms whenever the largest ts grows.
struct Driver {
  explicit Driver(std::shared_ptr<const cep::Program> program) : runner(std::move(program)) {}

  void Feed(const EventPtr& event) {
    const cep::EventTime ts = event->ts();
    runner.OnEvent(event);
    if (ts > max_ts) {
      max_ts = ts;
      runner.AdvanceWatermark(ts - cep::Duration::Millis(1), alerts);
      alert_count += alerts.size();
      alerts.clear();
    }
  }

  cep::RulesetRunner runner;
  std::vector<cep::RuleAlert> alerts;
  cep::EventTime max_ts = cep::EventTime::Min();
  size_t alert_count = 0;
};

// --- 1. SEQ(A; B) within 10s over 1,000,000 accounts ------------------------

constexpr const char* kSeqRuleset = R"(
ruleset seq_bench version 1
schema transaction
rule seq_a_b {
  key account_id
  pattern
    begin       a where kind == "A"
    followed_by b where kind == "B"
    within 10s
}
)";

constexpr size_t kSeqEvents = 4'000'000;

// As nfa_bench.cc: ts advances 1 ms per 200 events (4M events span 20 s);
// round-robin keys see A, then B 1M events (5 s) later; random keys draw A or B.
std::vector<EventPtr> MakeSeqEvents(const cep::Schema& schema, bool random_keys) {
  const cep::SlotIndex account = *schema.Find("account_id");
  const cep::SlotIndex kind = *schema.Find("kind");
  const cep::SlotIndex ts = *schema.ts_slot();
  std::vector<std::string> names(kAccounts);
  for (uint32_t k = 0; k < kAccounts; ++k) names[k] = AccountName(k);
  std::mt19937 rng(42);
  std::uniform_int_distribution<uint32_t> key_dist(0, kAccounts - 1);
  cep::EventBuilder builder(schema.size());
  std::vector<EventPtr> events;
  events.reserve(kSeqEvents);
  for (size_t i = 0; i < kSeqEvents; ++i) {
    const uint32_t key = random_keys ? key_dist(rng) : static_cast<uint32_t>(i % kAccounts);
    const bool is_b = random_keys ? (rng() & 1) != 0 : ((i / kAccounts) & 1) != 0;
    const auto t = cep::EventTime::FromMillis(static_cast<int64_t>(i / 200));
    builder.SetTs(t).SetSeq(i).SetId(std::to_string(i));
    builder.Set(account, cep::Value::String(names[key]));
    builder.Set(kind, cep::Value::String(is_b ? "B" : "A"));
    builder.Set(ts, cep::Value::Time(t));
    events.push_back(std::make_shared<const cep::Event>(builder.Build()));
  }
  return events;
}

void RunSeq(benchmark::State& state, bool random_keys) {
  const auto compiled = Compile(kSeqRuleset);
  const auto events = MakeSeqEvents(*compiled.program->schema, random_keys);
  size_t alerts = 0;
  size_t keys = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto driver = std::make_unique<Driver>(compiled.program);
    state.ResumeTiming();
    for (const EventPtr& event : events) driver->Feed(event);
    state.PauseTiming();
    alerts += driver->alert_count;
    keys = driver->runner.key_count();
    driver.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * events.size()));
  state.counters["alerts_per_run"] =
      static_cast<double>(alerts) / static_cast<double>(state.iterations());
  state.counters["live_keys_at_end"] = static_cast<double>(keys);
}

void BM_Runner_SeqWithin_1MKeys_RoundRobin(benchmark::State& state) { RunSeq(state, false); }
BENCHMARK(BM_Runner_SeqWithin_1MKeys_RoundRobin)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_Runner_SeqWithin_1MKeys_RandomOrder(benchmark::State& state) { RunSeq(state, true); }
BENCHMARK(BM_Runner_SeqWithin_1MKeys_RandomOrder)->Unit(benchmark::kMillisecond)->Iterations(3);

// --- 2. Fifty rules over 1,000,000 accounts ---------------------------------

// A transaction stream over 1M accounts in random order, ts + 1 ms per 10
// events. Each account has its card and device; merchants, ips and countries
// come from small pools, some matching the ruleset's regexes.
struct Transactions {
  std::vector<std::vector<std::pair<cep::SlotIndex, std::string>>> strings;
  std::vector<std::pair<int64_t, int64_t>> amount_mcc;  // decimal micros, mcc
  std::vector<int64_t> ts;
};

Transactions MakeTransactions(const cep::Schema& schema, size_t count) {
  static const char* const kMerchants[] = {
      "ACME Groceries", "Corner Cafe",     "Lucky Casino",    "City Fuel",      "Bookworm",
      "CoinExchange",   "Gift Card Mall",  "Western Wire",    "Pawn & Loan",    "Fast VPN",
      "Pharmacy 24",    "Shoe Palace",     "Pizza Roma",      "Train Tickets",  "Poker Stars",
      "Cinema 7",       "Hardware Depot",  "Prepaid Cards",   "test merchant",  "Payday Cash",
      "Bakery Bread",   "Electronics Hub", "Travel Agency",   "Hotel Central",  "Taxi Co"};
  static const char* const kKinds[] = {"purchase", "purchase", "purchase", "purchase",
                                        "purchase", "purchase", "purchase", "login",
                                        "transfer", "withdrawal", "password_reset", "verification"};
  static const char* const kCountries[] = {"DE", "FR", "NL", "BE", "US", "GB", "IT", "ES"};
  static const char* const kChannels[] = {"pos", "pos", "online", "ecom"};
  const auto slot = [&](const char* name) { return *schema.Find(name); };
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> account_dist(0, kAccounts - 1);
  Transactions tx;
  tx.strings.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const uint32_t a = account_dist(rng);
    const std::string account = AccountName(a);
    const uint32_t r = static_cast<uint32_t>(rng());
    std::vector<std::pair<cep::SlotIndex, std::string>> s;
    s.emplace_back(slot("id"), "tx-" + std::to_string(i));
    s.emplace_back(slot("account_id"), account);
    s.emplace_back(slot("card_id"), "card-" + std::to_string(a));
    s.emplace_back(slot("device_id"), (a % 997 == 0 ? "emu-" : "dev-") + std::to_string(a % 800'000));
    s.emplace_back(slot("ip"), (r % 50 == 0 ? "185.220.1." : "81.2.") + std::to_string(r % 251));
    s.emplace_back(slot("terminal_id"), "term-" + std::to_string(r % 10'000));
    s.emplace_back(slot("merchant"), kMerchants[(r >> 8) % std::size(kMerchants)]);
    s.emplace_back(slot("currency"), "EUR");
    s.emplace_back(slot("channel"), kChannels[(r >> 13) % std::size(kChannels)]);
    s.emplace_back(slot("kind"), kKinds[(r >> 16) % std::size(kKinds)]);
    s.emplace_back(slot("country"), kCountries[(r >> 20) % 16 < 13 ? a % 8 : (r >> 24) % 8]);
    s.emplace_back(slot("home_country"), kCountries[a % 8]);
    tx.strings.push_back(std::move(s));
    // Amounts: mostly 1-200, some small card tests, some large.
    const uint32_t bucket = (r >> 27) % 16;
    const int64_t cents = bucket == 0 ? 100 + r % 400 : bucket == 1 ? 50'000 + r % 200'000 : 100 + r % 20'000;
    tx.amount_mcc.emplace_back(cents * 10'000, (r % 7 == 0) ? 7995 : 5411);
    tx.ts.push_back(static_cast<int64_t>(i / 10));
  }
  return tx;
}

void SetFields(engine::EventAssembler& assembler, const cep::Schema& schema,
               const Transactions& tx, size_t i) {
  for (const auto& [slot, text] : tx.strings[i]) assembler.Set(slot, cep::Value::String(text));
  assembler.Set(*schema.Find("amount"), cep::Value::Decimal(tx.amount_mcc[i].first));
  assembler.Set(*schema.Find("mcc"), cep::Value::Int(tx.amount_mcc[i].second));
  assembler.Set(*schema.ts_slot(), cep::Value::Time(cep::EventTime::FromMillis(tx.ts[i])));
}

// 1M warm-up events (state for most accounts exists, as in a running service)
// are fed untimed; the next kTimed are timed.
constexpr size_t kWarm = 1'000'000;
constexpr size_t kTimed = 1'000'000;

struct FiftyRules {
  rules::CompiledRuleset compiled;
  Transactions tx;
  std::vector<EventPtr> events;  // all warm + timed, regex bits set
};

const FiftyRules& Fifty() {
  static const FiftyRules* fifty = [] {
    auto* f = new FiftyRules{Compile(ReadBenchFile("bench_50_rules.rules")), {}, {}};
    CHECK(f->compiled.program->rules.size() == 50, "fifty rules");
    const cep::Schema& schema = *f->compiled.program->schema;
    f->tx = MakeTransactions(schema, kWarm + kTimed);
    engine::EventAssembler assembler(f->compiled.program->schema,
                                     {"id", f->compiled.regexes});
    for (size_t i = 0; i < f->tx.ts.size(); ++i) {
      SetFields(assembler, schema, f->tx, i);
      f->events.push_back(std::make_shared<const cep::Event>(assembler.Finish(i).value()));
    }
    return f;
  }();
  return *fifty;
}

void RunFifty(benchmark::State& state, bool assemble) {
  const FiftyRules& f = Fifty();
  const cep::Schema& schema = *f.compiled.program->schema;
  engine::EventAssembler assembler(f.compiled.program->schema, {"id", f.compiled.regexes});
  size_t alerts = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto driver = std::make_unique<Driver>(f.compiled.program);
    for (size_t i = 0; i < kWarm; ++i) driver->Feed(f.events[i]);
    driver->alert_count = 0;
    state.ResumeTiming();
    for (size_t i = kWarm; i < kWarm + kTimed; ++i) {
      if (assemble) {
        // Decoded values in, a sealed event with its regex bits out.
        SetFields(assembler, schema, f.tx, i);
        driver->Feed(std::make_shared<const cep::Event>(assembler.Finish(i).value()));
      } else {
        driver->Feed(f.events[i]);
      }
    }
    state.PauseTiming();
    alerts += driver->alert_count;
    state.counters["live_keys"] = static_cast<double>(driver->runner.key_count());
    driver.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kTimed));
  state.counters["alerts_per_run"] =
      static_cast<double>(alerts) / static_cast<double>(state.iterations());
}

void BM_Runner_50Rules_1MAccounts_PreDecoded(benchmark::State& state) { RunFifty(state, false); }
BENCHMARK(BM_Runner_50Rules_1MAccounts_PreDecoded)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_Runner_50Rules_1MAccounts_WithAssembler(benchmark::State& state) { RunFifty(state, true); }
BENCHMARK(BM_Runner_50Rules_1MAccounts_WithAssembler)->Unit(benchmark::kMillisecond)->Iterations(1);

// The assembler alone (field copies, the Hyperscan scan of 3 fields, Build).
void BM_Assembler_50RulesRegexes(benchmark::State& state) {
  const FiftyRules& f = Fifty();
  const cep::Schema& schema = *f.compiled.program->schema;
  engine::EventAssembler assembler(f.compiled.program->schema, {"id", f.compiled.regexes});
  size_t i = 0;
  for (auto _ : state) {
    SetFields(assembler, schema, f.tx, i);
    auto event = assembler.Finish(i);
    benchmark::DoNotOptimize(event);
    if (++i == f.tx.ts.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Assembler_50RulesRegexes);

// --- 4. Bytes of state per active key -----------------------------------------

size_t HeapInUse() { return mallinfo2().uordblks; }

// 1,000,000 accounts, each with `per_key` events within the rule's window; the
// heap growth of the runner (events are built before and not counted) over the
// live keys. Patterns buffer their events by reference (shared_ptr), so the
// events themselves are "buffered events" outside this figure.
void RunStateBytes(benchmark::State& state, const char* ruleset, int per_key) {
  const auto compiled = Compile(ruleset);
  const cep::Schema& schema = *compiled.program->schema;
  const cep::SlotIndex account = *schema.Find("account_id");
  const cep::SlotIndex kind = *schema.Find("kind");
  const cep::SlotIndex amount = *schema.Find("amount");
  cep::EventBuilder builder(schema.size());
  std::vector<EventPtr> events;
  std::vector<std::string> names(kAccounts);
  for (uint32_t k = 0; k < kAccounts; ++k) names[k] = AccountName(k);
  for (int round = 0; round < per_key; ++round) {
    for (uint32_t k = 0; k < kAccounts; ++k) {
      const size_t i = events.size();
      const auto t = cep::EventTime::FromMillis(static_cast<int64_t>(i / 1000));  // 1000 s per round
      builder.SetTs(t).SetSeq(i).SetId("x");
      builder.Set(account, cep::Value::String(names[k]));
      builder.Set(kind, cep::Value::String("purchase"));
      builder.Set(amount, cep::Value::Decimal(12'340'000));
      builder.Set(*schema.ts_slot(), cep::Value::Time(t));
      events.push_back(std::make_shared<const cep::Event>(builder.Build()));
    }
  }
  double per_key_bytes = 0;
  size_t keys = 0;
  for (auto _ : state) {
    malloc_trim(0);
    const size_t before = HeapInUse();
    auto driver = std::make_unique<Driver>(compiled.program);
    for (const EventPtr& event : events) driver->Feed(event);
    keys = driver->runner.key_count();
    per_key_bytes = static_cast<double>(HeapInUse() - before) / static_cast<double>(keys);
    driver.reset();
  }
  state.counters["live_keys"] = static_cast<double>(keys);
  state.counters["heap_bytes_per_key"] = per_key_bytes;
}

constexpr const char* kLast30m = R"(
ruleset mem_last version 1
schema transaction
rule spend_30m {
  key account_id
  where kind == "purchase"
  window last 30m
  when count() >= 5 and sum(amount) > 2000
}
)";

constexpr const char* kTwoStage = R"(
ruleset mem_pattern version 1
schema transaction
rule small_then_large {
  key account_id
  pattern
    begin       small where amount < 20
    followed_by large where amount > 500
    within 1h
}
)";

void BM_StateBytes_Last30m_1Event(benchmark::State& state) { RunStateBytes(state, kLast30m, 1); }
BENCHMARK(BM_StateBytes_Last30m_1Event)->Unit(benchmark::kMillisecond)->Iterations(1);
void BM_StateBytes_Last30m_2Events(benchmark::State& state) { RunStateBytes(state, kLast30m, 2); }
BENCHMARK(BM_StateBytes_Last30m_2Events)->Unit(benchmark::kMillisecond)->Iterations(1);
void BM_StateBytes_TwoStagePattern_1Partial(benchmark::State& state) {
  RunStateBytes(state, kTwoStage, 1);
}
BENCHMARK(BM_StateBytes_TwoStagePattern_1Partial)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
