#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/replay_jobs/replay_jobs.h"

namespace api::replay_jobs {
namespace {

TEST(ParseReplayRequestTest, ReadsEveryFieldOfAFileReplay) {
  auto request = ParseReplayRequest(nlohmann::json::parse(R"({
    "ruleset": "card_fraud", "version": 3, "input": "history/fdh-2018-08.csv.gz",
    "format": "csv", "csv_map": "rulesets/fdh.csvmap.json", "label_field": "label",
    "label_scope": "transaction", "feedback_delay": "7d", "max_out_of_orderness": "5s",
    "set": {"LARGE": "400", "SMALL": 5}, "threads": 2})"));
  ASSERT_TRUE(request) << request.error().message();
  EXPECT_EQ(request->ruleset, "card_fraud");
  EXPECT_EQ(request->version, 3u);
  EXPECT_EQ(request->input, "history/fdh-2018-08.csv.gz");
  EXPECT_EQ(request->format, "csv");
  EXPECT_EQ(request->csv_map, "rulesets/fdh.csvmap.json");
  EXPECT_EQ(request->label_field, "label");
  EXPECT_EQ(request->label_scope, "transaction");
  EXPECT_EQ(request->feedback_delay, "7d");
  EXPECT_EQ(request->max_out_of_orderness, "5s");
  EXPECT_EQ(request->set, (std::map<std::string, std::string>{{"LARGE", "400"}, {"SMALL", "5"}}));
  EXPECT_EQ(request->threads, 2);
  EXPECT_TRUE(request->topic.empty());
  EXPECT_TRUE(request->source.empty());  // the route handler fills it from the registry
}

TEST(ParseReplayRequestTest, ReadsATopicRangeAsMillisOrIsoTime) {
  auto request = ParseReplayRequest(nlohmann::json::parse(
      R"({"ruleset": "r", "topic": "transactions", "from": "2026-11-01T00:00:00Z", "to": 1793491200001})"));
  ASSERT_TRUE(request) << request.error().message();
  EXPECT_EQ(request->topic, "transactions");
  EXPECT_EQ(request->from_ms, 1793491200000);
  EXPECT_EQ(request->to_ms, 1793491200001);
  EXPECT_EQ(request->version, 0u);  // not given: the handler picks

  auto open = ParseReplayRequest(nlohmann::json::parse(R"({"ruleset": "r", "topic": "t"})"));
  ASSERT_TRUE(open) << open.error().message();
  EXPECT_EQ(open->from_ms, 0);
  EXPECT_EQ(open->to_ms, std::numeric_limits<int64_t>::max());

  // Built in code, a version is a signed integer: still a version.
  auto built = ParseReplayRequest(nlohmann::json{{"ruleset", "r"}, {"version", 2}, {"input", "a"}});
  ASSERT_TRUE(built) << built.error().message();
  EXPECT_EQ(built->version, 2u);
}

TEST(ParseReplayRequestTest, NamesEveryBadFieldInOneMessage) {
  auto request = ParseReplayRequest(nlohmann::json::parse(R"({
    "version": -1, "input": "x.jsonl", "format": "xml", "label_scope": "card",
    "max_out_of_orderness": "soon", "threads": 1000, "set": {"a.B": "1"}, "colour": "red",
    "from": 5})"));
  ASSERT_FALSE(request);
  EXPECT_EQ(request.error().code(), cep::StatusCode::kInvalidArgument);
  const std::string& message = request.error().message();
  for (const char* field : {"'ruleset'", "'version'", "'format'", "'label_scope'",
                            "'max_out_of_orderness'", "'threads'", "'set'", "'colour': unknown field",
                            "'from': applies to 'topic' input only"}) {
    EXPECT_NE(message.find(field), std::string::npos) << field << " in " << message;
  }
}

TEST(ParseReplayRequestTest, WantsExactlyOneOfInputAndTopic) {
  for (const char* body : {R"({"ruleset": "r"})", R"({"ruleset": "r", "input": "a", "topic": "t"})"}) {
    auto request = ParseReplayRequest(nlohmann::json::parse(body));
    ASSERT_FALSE(request) << body;
    EXPECT_NE(request.error().message().find("exactly one of 'input'"), std::string::npos)
        << request.error().message();
  }
  auto reversed = ParseReplayRequest(
      nlohmann::json::parse(R"({"ruleset": "r", "topic": "t", "from": 10, "to": 10, "format": "csv"})"));
  ASSERT_FALSE(reversed);
  EXPECT_NE(reversed.error().message().find("'to': must be after 'from'"), std::string::npos);
  EXPECT_NE(reversed.error().message().find("'format'"), std::string::npos);
  EXPECT_FALSE(ParseReplayRequest(nlohmann::json::array()));
  EXPECT_FALSE(ParseReplayRequest(nlohmann::json::parse(
      R"({"ruleset": "r", "input": "a", "feedback_delay": "1d"})")));  // needs label_field
}

}  // namespace
}  // namespace api::replay_jobs
