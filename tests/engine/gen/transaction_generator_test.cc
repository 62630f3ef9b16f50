#include "engine/gen/transaction_generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "api/proto/transaction_json.h"

namespace engine {
namespace {

std::vector<cep::v1::Transaction> Generate(GenOptions options) {
  TransactionGenerator generator(std::move(options));
  std::vector<cep::v1::Transaction> out;
  cep::v1::Transaction tx;
  while (generator.Next(tx)) out.push_back(tx);
  return out;
}

std::string Serialized(const std::vector<cep::v1::Transaction>& events) {
  std::string bytes;
  for (const auto& tx : events) bytes += tx.SerializeAsString();
  return bytes;
}

GenOptions Small(uint64_t count, double fraud = 0.02) {
  GenOptions options;
  options.accounts = 1'000;
  options.count = count;
  options.fraud_accounts = fraud;
  return options;
}

TEST(TransactionGeneratorTest, SameSeedSameBytesOtherSeedOtherBytes) {
  const std::string a = Serialized(Generate(Small(20'000)));
  EXPECT_EQ(a, Serialized(Generate(Small(20'000))));
  GenOptions other = Small(20'000);
  other.seed = 43;
  EXPECT_NE(a, Serialized(Generate(other)));
}

// Pins the stream itself: the distributions are integer math over
// std::mt19937_64, so this must hold with every compiler and standard library.
// A deliberate change to the generator updates it.
constexpr const char* kPinnedFirstEvent =
    R"json({"id":"t0","account_id":"a6390","card_id":"c12780","terminal_id":"T1-33",)json"
    R"json("merchant":"The Golden Fork","mcc":5812,"amount":7.86,"currency":"USD",)json"
    R"json("channel":"pos","kind":"purchase","country":"US","home_country":"US",)json"
    R"json("lat":34.0047,"lon":-118.1693,"ts":1767225600350,"label":0})json";

TEST(TransactionGeneratorTest, StreamIsPinnedForTheDefaultSeed) {
  GenOptions options;
  options.count = 3;
  const auto events = Generate(options);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(wire::TransactionToJson(events[0]), kPinnedFirstEvent);
}

// The same across scenarios and the out-of-order buffer: FNV-1a of the JSON lines.
TEST(TransactionGeneratorTest, StreamWithFraudIsPinned) {
  GenOptions options = Small(20'000, 0.05);
  options.max_out_of_orderness = cep::Duration::Seconds(5);
  uint64_t hash = 14695981039346656037ull;
  for (const auto& tx : Generate(options)) {
    for (char c : wire::TransactionToJson(tx) + "\n") {
      hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    }
  }
  EXPECT_EQ(hash, 14894354817675987283ull);
}

TEST(TransactionGeneratorTest, MakesExactlyCountEventsInTsOrderWithSequentialIds) {
  TransactionGenerator generator(Small(30'000));
  cep::v1::Transaction tx;
  int64_t last = 0;
  uint64_t n = 0;
  while (generator.Next(tx)) {
    ASSERT_GE(tx.ts_ms(), last) << tx.id();
    last = tx.ts_ms();
    ASSERT_EQ(tx.id(), "t" + std::to_string(n)) << n;
    ++n;
  }
  EXPECT_EQ(n, 30'000u);
  EXPECT_EQ(generator.generated(), 30'000u);
  EXPECT_FALSE(generator.Next(tx));
  EXPECT_GE(last - GenOptions{}.start.millis(), 86'400'000 * 6);  // ~4 events/account/day
}

TEST(TransactionGeneratorTest, LabelsMatchScenariosAndCounts) {
  TransactionGenerator generator(Small(50'000));
  cep::v1::Transaction tx;
  std::map<std::string, uint64_t> by_scenario;
  uint64_t fraud = 0;
  while (generator.Next(tx)) {
    ASSERT_TRUE(tx.has_label());
    if (tx.label() == 1) {
      ++fraud;
      ASSERT_EQ(tx.attrs().count("scenario"), 1u) << tx.id();
      ++by_scenario[tx.attrs().at("scenario")];
    } else {
      ASSERT_EQ(tx.label(), 0);
      ASSERT_TRUE(tx.attrs().empty()) << tx.id();
    }
  }
  EXPECT_EQ(generator.fraud_generated(), fraud);
  EXPECT_GT(fraud, 0u);
  EXPECT_LT(fraud, 50'000u / 20);  // rare even at 2% of accounts a day: under 5% of events
  uint64_t total = 0;
  for (const auto& count : generator.scenario_counts()) {
    EXPECT_EQ(count.fraud_events, by_scenario[count.name]) << count.name;
    EXPECT_GT(count.incidents, 0u) << count.name;
    total += count.fraud_events;
  }
  EXPECT_EQ(total, fraud);
  EXPECT_EQ(by_scenario.size(), TransactionGenerator::ScenarioNames().size());
}

TEST(TransactionGeneratorTest, ChosenScenariosOnly) {
  GenOptions options = Small(30'000, 0.05);
  options.scenarios = {"structuring", "card_testing"};
  TransactionGenerator generator(options);
  cep::v1::Transaction tx;
  std::set<std::string> seen;
  while (generator.Next(tx)) {
    if (tx.label() == 1) seen.insert(tx.attrs().at("scenario"));
  }
  EXPECT_EQ(seen, (std::set<std::string>{"card_testing", "structuring"}));
  ASSERT_EQ(generator.scenario_counts().size(), 2u);
}

TEST(TransactionGeneratorTest, NoFraudWhenTheShareIsZero) {
  TransactionGenerator generator(Small(20'000, 0));
  cep::v1::Transaction tx;
  while (generator.Next(tx)) ASSERT_EQ(tx.label(), 0);
  EXPECT_EQ(generator.fraud_generated(), 0u);
}

TEST(TransactionGeneratorTest, RejectsBadOptions) {
  GenOptions options;
  EXPECT_TRUE(ValidateGenOptions(options).ok());
  options.scenarios = {"card_testing", "phishing"};
  const cep::Status status = ValidateGenOptions(options);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("unknown scenario 'phishing'"), std::string::npos);
  options = {};
  options.accounts = 0;
  EXPECT_FALSE(ValidateGenOptions(options).ok());
  options = {};
  options.fraud_accounts = 1.5;
  EXPECT_FALSE(ValidateGenOptions(options).ok());
  options = {};
  options.max_out_of_orderness = cep::Duration::Millis(-1);
  EXPECT_FALSE(ValidateGenOptions(options).ok());
}

TEST(TransactionGeneratorTest, OutOfOrdernessIsBounded) {
  GenOptions options = Small(30'000);
  options.max_out_of_orderness = cep::Duration::Seconds(30);
  const auto shuffled = Generate(options);
  ASSERT_EQ(shuffled.size(), 30'000u);
  int64_t max_ts = 0;
  uint64_t behind = 0;
  for (const auto& tx : shuffled) {
    ASSERT_GE(tx.ts_ms(), max_ts - 30'000) << tx.id();
    if (tx.ts_ms() < max_ts) ++behind;
    max_ts = std::max(max_ts, tx.ts_ms());
  }
  EXPECT_GT(behind, 1'000u);  // really out of order
  // The same events as the in-order stream, only delivered in another order.
  auto in_order = Generate(Small(30'000));
  auto by_id = [](const auto& a, const auto& b) { return a.id() < b.id(); };
  auto sorted = shuffled;
  std::sort(sorted.begin(), sorted.end(), by_id);
  std::sort(in_order.begin(), in_order.end(), by_id);
  ASSERT_EQ(sorted.size(), in_order.size());
  for (size_t i = 0; i < sorted.size(); ++i) {
    ASSERT_EQ(sorted[i].id(), in_order[i].id());
    ASSERT_EQ(sorted[i].ts_ms(), in_order[i].ts_ms()) << sorted[i].id();
  }
}

TEST(TransactionGeneratorTest, FieldsLookReal) {
  const auto events = Generate(Small(60'000));
  std::set<std::string> kinds, channels;
  std::set<int32_t> mccs;
  std::vector<int64_t> grocery;
  const std::regex gambling("casino|poker|bet(ting)?|lotto", std::regex::icase);
  for (const auto& tx : events) {
    ASSERT_TRUE(tx.has_id() && tx.has_account_id() && tx.has_kind() && tx.has_ts_ms() &&
                tx.has_currency() && tx.has_country() && tx.has_home_country())
        << wire::TransactionToJson(tx);
    kinds.insert(tx.kind());
    if (tx.has_channel()) channels.insert(tx.channel());
    if (tx.has_mcc()) mccs.insert(tx.mcc());
    if (tx.channel() == "pos") {
      ASSERT_TRUE(tx.has_lat() && tx.has_lon() && tx.has_terminal_id() && tx.has_card_id());
      ASSERT_TRUE(tx.has_merchant() && tx.has_amount_micros());
    }
    if (tx.channel() == "ecom") {
      ASSERT_TRUE(tx.has_device_id() && tx.has_ip());
    }
    if (tx.kind() == "login") {
      ASSERT_FALSE(tx.has_amount_micros() || tx.has_card_id());
    }
    if (tx.has_amount_micros()) {
      ASSERT_GT(tx.amount_micros(), 0);
      ASSERT_EQ(tx.amount_micros() % 10'000, 0);  // whole cents
    }
    if (tx.label() == 0 && tx.mcc() != 7995 && tx.has_merchant()) {
      ASSERT_FALSE(std::regex_search(tx.merchant(), gambling)) << tx.merchant();
    }
    if (tx.label() == 0 && tx.mcc() == 5411 && tx.kind() == "purchase") {
      grocery.push_back(tx.amount_micros());
    }
  }
  for (const char* kind : {"purchase", "refund", "login", "password_reset", "verification",
                           "transfer", "deposit", "withdrawal"}) {
    EXPECT_TRUE(kinds.count(kind)) << kind;
  }
  EXPECT_EQ(channels, (std::set<std::string>{"atm", "ecom", "pos"}));
  for (int32_t mcc : {5411, 5541, 5812, 5999, 5732, 5944, 7995, 4829, 6011}) {
    EXPECT_TRUE(mccs.count(mcc)) << mcc;
  }
  // Log-normal around the category's median (38.00 for grocery).
  ASSERT_GT(grocery.size(), 1'000u);
  std::nth_element(grocery.begin(), grocery.begin() + static_cast<long>(grocery.size() / 2), grocery.end());
  EXPECT_GT(grocery[grocery.size() / 2], 30'000'000);
  EXPECT_LT(grocery[grocery.size() / 2], 46'000'000);
}

// Fewer events at night: holders act by their local hour.
TEST(TransactionGeneratorTest, DailyRhythm) {
  const auto events = Generate(Small(60'000, 0));
  uint64_t night = 0, noon = 0;
  for (const auto& tx : events) {
    if (tx.home_country() != "DE" && tx.home_country() != "FR") continue;  // UTC+1
    const int64_t local_hour = (tx.ts_ms() / 3'600'000 + 1) % 24;
    if (local_hour >= 2 && local_hour < 5) ++night;
    if (local_hour >= 11 && local_hour < 14) ++noon;
  }
  EXPECT_GT(noon, 5 * night) << noon << " vs " << night;
}

}  // namespace
}  // namespace engine
