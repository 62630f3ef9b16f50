#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/sink/alert_id.h"
#include "engine/sink/ordered_alert_writer.h"

namespace engine {
namespace {

cep::v1::Alert MakeAlert(std::string rule, std::string key, int64_t ts,
                         std::vector<std::string> ids) {
  cep::v1::Alert alert;
  alert.set_ruleset("card_fraud");
  alert.set_version(3);
  alert.set_rule(std::move(rule));
  alert.set_key(std::move(key));
  alert.set_ts_ms(ts);
  alert.set_kind(cep::v1::Alert::KIND_MATCH);
  auto* stage = alert.add_stages();
  stage->set_name("s");
  for (auto& id : ids) stage->add_event_ids(id);
  alert.set_alert_id(ComputeAlertId(alert));
  return alert;
}

TEST(AlertIdTest, IsDeterministicAndSensitiveToEveryPart) {
  const auto base = MakeAlert("r", "acct-1", 10, {"t1", "t2"});
  EXPECT_EQ(base.alert_id().size(), 32u);
  EXPECT_EQ(base.alert_id(), MakeAlert("r", "acct-1", 10, {"t1", "t2"}).alert_id());
  EXPECT_NE(base.alert_id(), MakeAlert("r2", "acct-1", 10, {"t1", "t2"}).alert_id());
  EXPECT_NE(base.alert_id(), MakeAlert("r", "acct-2", 10, {"t1", "t2"}).alert_id());
  EXPECT_NE(base.alert_id(), MakeAlert("r", "acct-1", 10, {"t1", "t3"}).alert_id());
  // Length-prefixing: moving a character between ids changes the hash.
  EXPECT_NE(MakeAlert("r", "k", 1, {"ab", "c"}).alert_id(),
            MakeAlert("r", "k", 1, {"a", "bc"}).alert_id());
  auto timeout = base;
  timeout.set_kind(cep::v1::Alert::KIND_TIMEOUT);
  EXPECT_NE(ComputeAlertId(timeout), base.alert_id());
}

TEST(OrderedAlertWriterTest, WritesFinalAlertsInDocumentedOrder) {
  std::vector<std::string> written;
  OrderedAlertWriter writer([&](const cep::v1::Alert& a) { written.push_back(a.rule() + "/" + a.key()); });
  writer.Add(MakeAlert("velocity", "b", 20, {"x"}));
  writer.Add(MakeAlert("velocity", "a", 20, {"y"}));
  writer.Add(MakeAlert("card_testing", "z", 20, {"z"}));
  writer.Add(MakeAlert("late_rule", "a", 30, {"w"}));
  writer.Add(MakeAlert("early", "q", 5, {"v"}));
  writer.AdvanceTo(cep::EventTime::FromMillis(20));
  EXPECT_EQ(written, (std::vector<std::string>{"early/q", "card_testing/z", "velocity/a",
                                               "velocity/b"}));
  writer.Flush();
  EXPECT_EQ(written.back(), "late_rule/a");
  EXPECT_EQ(writer.written(), 5u);
}

}  // namespace
}  // namespace engine
