// Scaling out (config shared_state_dir; deploy/README.md "Scaling out"):
// several engine::Service instances in one consumer group on the embedded
// broker share the input partitions; on each rebalance an instance checkpoints
// and hands over what it held, and the instances assigned partitions restore
// them from the shared directory. The union of their alerts must equal a single
// instance's on the same input: nothing missing, nothing twice.
//
// The input arrives in thirds; an instance joins after the first third (and,
// with three, another after the second), so each rebalance falls in the middle
// of the stream with partial matches and open windows in flight. A sentinel
// event per partition a day after the last one moves every instance's
// watermark past every timer, so the final alert sets do not depend on which
// instance held which partition at the end. Wall time is a FakeClock moved on
// after each third: a periodic checkpoint then, besides the hand-overs'; no
// partition idles.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "api/proto/transaction.pb.h"
#include "engine/gen/transaction_generator.h"
#include "engine/kafka/embedded_broker.h"
#include "engine/kafka/producer.h"
#include "engine/service/service.h"
#include "tests/engine/service/service_test_util.h"
#include "tests/fakes/fake_clock.h"
#include "tests/state/temp_dir.h"

namespace engine {
namespace {

using testing::CompileOrFail;
using testing::Describe;
using testing::ParseAlerts;
using testing::ReadTopic;
using testing::WaitUntil;

constexpr int kInputPartitions = 4;
using testing::kOutputPartitions;

// Every rule keyed by a field that lives on one input partition (input keyed by
// account; a card belongs to one account): scale-out's contract.
constexpr const char* kAccountRules = R"(
ruleset account_velocity version 1
schema transaction

rule many_purchases_30m {
  severity medium
  key account_id
  where kind == "purchase"
  window last 30m
  when count() >= 4 and sum(amount) > 300
  suppress 10m
}

rule login_then_purchase {
  key account_id
  pattern
    begin login where kind == "login"
    followed_by buy where kind == "purchase" and amount > 100
    within 20m
}
)";

std::vector<cep::v1::Transaction> Generate(uint64_t seed, uint64_t count) {
  GenOptions options;
  options.seed = seed;
  options.accounts = 300;
  options.count = count;
  options.fraud_accounts = 0.05;
  options.scenarios = {"card_testing", "velocity", "credential_stuffing"};
  TransactionGenerator generator(options);
  std::vector<cep::v1::Transaction> out;
  cep::v1::Transaction tx;
  while (generator.Next(tx)) out.push_back(tx);
  return out;
}

struct RunFigures {
  size_t instances = 0;
  uint64_t assignments = 0;  // restores from the shared directory, over all instances
  uint64_t hand_overs = 0;
  uint64_t periodic_checkpoints = 0;  // completed before the stop, hand-overs' included
  uint64_t alerts_produced = 0;
  std::vector<cep::v1::Alert> alerts;  // read back from the alerts topic
};

class ScaleOutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = kafka::EmbeddedBroker::Start({});
    ASSERT_TRUE(started) << started.error().ToString();
    broker_ = std::move(*started);
    auto producer = kafka::Producer::Create({.bootstrap = broker_->bootstrap(), .client_id = "test-input"});
    ASSERT_TRUE(producer) << producer.error().ToString();
    producer_ = std::move(*producer);
    events_ = Generate(31, 6'000);
    rulesets_ = {CompileOrFail(testing::ReadRulesetFile("card_testing.rules")),
                 CompileOrFail(kAccountRules)};
  }

  void TearDown() override {
    for (auto& service : services_) service->Stop();
    services_.clear();
  }

  ServiceConfig Config(const std::string& run) {
    // Two slots in every instance: keys are spread over slots by hash.
    ServiceConfig config = testing::TestServiceConfig("-" + run);
    config.state_backend = "memory";
    // Of the fake clock: a periodic checkpoint (published on a task) after
    // each third; partitions never idle.
    config.checkpoint_interval = cep::Duration::Seconds(10);
    config.idle_timeout = cep::Duration::Hours(1);
    config.shared_state_dir = (dir_.path() / run / "shared").string();
    return config;
  }

  Service* StartInstance(ServiceConfig config, const std::string& name) {
    config.instance_id = name;
    config.data_dir = (dir_.path() / config.kafka.group_id / name).string();
    ServiceOptions options;
    options.config = std::move(config);
    options.bootstrap = broker_->bootstrap();
    options.rulesets = rulesets_;
    options.clock = &clock_;
    auto service = Service::Start(std::move(options));
    EXPECT_TRUE(service) << service.error().ToString();
    if (!service) return nullptr;
    services_.push_back(std::move(*service));
    return services_.back().get();
  }

  void Produce(const ServiceConfig& config, size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      ASSERT_TRUE(producer_
                      ->Produce(config.kafka.input_topic, events_[i].account_id(),
                                events_[i].SerializeAsString(), {})
                      .ok());
    }
    ASSERT_TRUE(producer_->Flush(std::chrono::seconds(30)).ok());
  }

  // One event per partition a day after the last: every watermark passes
  // every timer. A refund of 0.01 that no rule takes.
  void ProduceSentinels(const ServiceConfig& config) {
    int64_t max_ts = 0;
    for (const auto& tx : events_) max_ts = std::max(max_ts, tx.ts_ms());
    sentinel_ts_ = max_ts + 86'400'000;
    for (int32_t p = 0; p < kInputPartitions; ++p) {
      cep::v1::Transaction tx;
      tx.set_id("sentinel-" + std::to_string(p));
      tx.set_account_id("sentinel-" + std::to_string(p));
      tx.set_card_id("sentinel-card-" + std::to_string(p));
      tx.set_kind("refund");
      tx.set_amount_micros(10'000);
      tx.set_currency("EUR");
      tx.set_country("DE");
      tx.set_home_country("DE");
      tx.set_ts_ms(sentinel_ts_);
      ASSERT_TRUE(producer_->Produce(config.kafka.input_topic, tx.account_id(), tx.SerializeAsString(), {}, p)
                      .ok());
    }
    ASSERT_TRUE(producer_->Flush(std::chrono::seconds(30)).ok());
  }

  uint64_t RecordsRead(const std::vector<Service*>& instances) const {
    uint64_t records = 0;
    for (const Service* s : instances) records += s->stats().records;
    return records;
  }

  [[nodiscard]] bool WaitForRecords(const std::vector<Service*>& instances, uint64_t want,
                                    const std::string& what) {
    const bool ok = WaitUntil([&] {
      for (const Service* s : instances) {
        if (!s->error().ok()) return true;
      }
      return RecordsRead(instances) >= want;
    }, std::chrono::seconds(60));
    std::string states;
    for (const Service* s : instances) {
      states += "\n  " + Describe(s->stats()) + " error: " + s->error().ToString();
    }
    const bool failed = std::any_of(instances.begin(), instances.end(),
                                    [](const Service* s) { return !s->error().ok(); });
    if (ok && !failed) return true;
    ADD_FAILURE() << "waiting for " << what << " (" << want << " records, read "
                  << RecordsRead(instances) << ")" << states;
    return false;
  }

  // Runs the whole input through `instances` instances that join one by one
  // (the k-th after k/instances of the input), then stops them all at once.
  RunFigures Run(size_t instances, const std::string& run) {
    RunFigures figures;
    figures.instances = instances;
    const ServiceConfig config = Config(run);
    testing::CreateTopics(*broker_, config.kafka, kInputPartitions);
    std::vector<Service*> running;
    const size_t parts = 3;
    for (size_t part = 0; part < parts; ++part) {
      const size_t from = events_.size() * part / parts;
      const size_t middle = from + events_.size() / parts / 2;
      const size_t to = events_.size() * (part + 1) / parts;
      if (part >= instances) {
        Produce(config, from, to);
      } else {
        // A new instance joins while the first half of this third is read;
        // the second half follows once the group has rebalanced.
        Service* s = StartInstance(config, "instance-" + std::to_string(part));
        if (s == nullptr) return figures;
        running.push_back(s);
        Produce(config, from, middle);
        const bool joined = WaitUntil([&] {
          for (const Service* r : running) {
            if (r->stats().assignments < 1 || !r->error().ok()) return false;
          }
          return true;
        }, std::chrono::seconds(60));
        EXPECT_TRUE(joined) << "instance " << part << " joins the group";
        if (!joined) return figures;
        Produce(config, middle, to);
      }
      if (::testing::Test::HasFatalFailure()) return figures;
      if (!WaitForRecords(running, to, "part " + std::to_string(part + 1) + " of 3")) return figures;
      clock_.Advance(cep::Duration::Seconds(11));
    }
    ProduceSentinels(config);
    if (!WaitForRecords(running, events_.size() + kInputPartitions, "the sentinels")) return figures;
    const bool settled = WaitUntil([&] {
      for (const Service* s : running) {
        if (s->stats().watermark.millis() < sentinel_ts_ - 1) return false;
      }
      return true;
    });
    EXPECT_TRUE(settled) << "every instance's watermark reaches the sentinels'";
    for (const Service* s : running) {
      figures.periodic_checkpoints += s->stats().checkpoints.completed;
    }
    // Stopped together: one at a time would hand the partitions round again.
    std::vector<std::future<void>> stops;
    for (Service* s : running) stops.push_back(std::async(std::launch::async, [s] { s->Stop(); }));
    for (auto& stop : stops) stop.get();
    for (const Service* s : running) {
      const ServiceStats stats = s->stats();
      EXPECT_TRUE(s->error().ok()) << s->error().ToString();
      EXPECT_EQ(stats.dead_letters, 0u);
      EXPECT_EQ(stats.late, 0u) << "each partition is in ts order";
      EXPECT_EQ(stats.produce_errors, 0u);
      figures.assignments += stats.assignments;
      figures.hand_overs += stats.hand_overs;
      figures.alerts_produced += stats.alerts;
    }
    EXPECT_EQ(RecordsRead(running), events_.size() + kInputPartitions)
        << "every record read once: a hand-over resumes exactly where the checkpoint stands";
    figures.alerts = ParseAlerts(ReadTopic(broker_->bootstrap(), config.kafka.alerts_topic,
                                           kOutputPartitions, figures.alerts_produced));
    return figures;
  }

  state::testing::TempDir dir_;
  fakes::FakeClock clock_;
  std::unique_ptr<kafka::EmbeddedBroker> broker_;
  std::unique_ptr<kafka::Producer> producer_;
  std::vector<std::unique_ptr<Service>> services_;
  std::vector<cep::v1::Transaction> events_;
  std::vector<rules::CompiledRuleset> rulesets_;
  int64_t sentinel_ts_ = 0;
};

// Alerts by id, with how often each id was written.
std::map<std::string, int> ById(const std::vector<cep::v1::Alert>& alerts) {
  std::map<std::string, int> by_id;
  for (const auto& alert : alerts) ++by_id[alert.alert_id()];
  return by_id;
}

// Compares a scaled-out run with the single instance's and prints the figures.
void ExpectSameAlerts(const RunFigures& single, const RunFigures& scaled) {
  const auto want = ById(single.alerts);
  const auto got = ById(scaled.alerts);
  size_t missing = 0, extra = 0, duplicated = 0;
  for (const auto& [id, count] : want) missing += got.count(id) == 0 ? 1 : 0;
  for (const auto& [id, count] : got) {
    extra += want.count(id) == 0 ? 1 : 0;
    duplicated += count > 1 ? static_cast<size_t>(count - 1) : 0;
  }
  std::cout << "scale-out: " << scaled.instances << " instances, " << scaled.assignments
            << " restores from the shared directory, " << scaled.hand_overs << " hand-overs, "
            << scaled.periodic_checkpoints << " checkpoints; alerts "
            << "expected " << want.size() << " (one instance), seen " << scaled.alerts.size()
            << ", missing " << missing << ", extra " << extra << ", duplicated " << duplicated
            << "\n";
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(extra, 0u);
  EXPECT_EQ(duplicated, 0u);
  EXPECT_EQ(scaled.alerts.size(), single.alerts.size());
  // Every rule of both rulesets fires, so state crossing a rebalance matters.
  std::set<std::string> rules;
  for (const auto& alert : single.alerts) rules.insert(alert.rule());
  EXPECT_EQ(rules.size(), 4u) << "every rule fires";
}

TEST_F(ScaleOutTest, TwoThenThreeInstancesRaiseTheAlertsOfOneThroughRebalancesMidStream) {
  ASSERT_FALSE(HasFailure());
  const RunFigures single = Run(1, "one");
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(ById(single.alerts).size(), single.alerts.size()) << "one instance writes each alert once";
  ASSERT_GE(single.alerts.size(), 50u);
  EXPECT_EQ(single.assignments, 1u);

  const RunFigures two = Run(2, "two");
  ASSERT_FALSE(HasFailure());
  EXPECT_GE(two.assignments, 3u) << "the first join, then both after the rebalance";
  EXPECT_GE(two.hand_overs, 1u);
  ExpectSameAlerts(single, two);

  const RunFigures three = Run(3, "three");
  ASSERT_FALSE(HasFailure());
  EXPECT_GE(three.assignments, 6u) << "1, then 2, then 3 instances assigned";
  EXPECT_GE(three.hand_overs, 3u);
  ExpectSameAlerts(single, three);
}

}  // namespace
}  // namespace engine
