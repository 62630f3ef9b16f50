#include "api/server/api_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "api/registry/ruleset_registry.h"
#include "api/rest/http_client.h"
#include "api/server/registry_seed.h"
#include "engine/kafka/embedded_broker.h"
#include "engine/service/service.h"
#include "state/state_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/state/temp_dir.h"

namespace api::server {
namespace {

using nlohmann::json;

constexpr const char* kAdmin = "admin-token-0123456789abcdef";
constexpr const char* kReader = "read-token-0123456789abcdef";

// Three rules keyed by account: a pattern, a `last` window and a tumbling window.
std::string Rules(int version, const std::string& large = "500") {
  return "ruleset shop version " + std::to_string(version) + R"(
schema transaction

rule small_then_large {
  severity high
  key account_id
  pattern
    begin small where amount < 5
    followed_by large where amount > )" + large + R"(
    within 10m
}

rule many {
  key account_id
  window last 30m
  when count() >= 3
}

rule hourly {
  key account_id
  window tumbling 1h
  when sum(amount) > 1000
}
)";
}

class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto broker = engine::kafka::EmbeddedBroker::Start({});
    ASSERT_TRUE(broker.has_value()) << broker.error().message();
    broker_ = std::move(*broker);
    for (const char* topic : {"transactions", "alerts", "alerts-shadow", "late", "dead-letters"}) {
      ASSERT_TRUE(broker_->CreateTopic(topic, 1).ok());
    }
    store_ = state::NewMemoryStore();
    auto registry = registry::RulesetRegistry::Open(store_.get(), &clock_);
    ASSERT_TRUE(registry.has_value());
    registry_ = std::move(*registry);
    engine::ServiceOptions options;
    options.config.state_backend = "none";
    options.config.slots = 2;
    options.config.kafka.input_format = "json";
    options.config.kafka.consumer_settings["fetch.wait.max.ms"] = "5";
    options.bootstrap = broker_->bootstrap();
    options.clock = &clock_;
    auto service = engine::Service::Start(std::move(options));
    ASSERT_TRUE(service.has_value()) << service.error().message();
    service_ = std::move(*service);
    engine::ServiceConfig config;
    config.rest_address = "127.0.0.1:0";
    config.rest_max_body_bytes = 64 * 1024;
    auto context = std::make_unique<ApiContext>();
    context->service = service_.get();
    context->registry = registry_.get();
    context->clock = &clock_;
    context->version = "test";
    auto server = ApiServer::Start(config, std::move(context),
                                   {{kAdmin, rest::Scope::kAdmin}, {kReader, rest::Scope::kRead}});
    ASSERT_TRUE(server.has_value()) << server.error().message();
    server_ = std::move(*server);
  }

  void TearDown() override {
    if (server_) server_->Stop();
    if (service_) service_->Stop();
  }

  rest::HttpResponse Call(std::string_view method, std::string_view target, std::string body = {},
                          std::string_view type = "application/json", const char* token = kAdmin) {
    rest::HttpClientOptions options;
    options.base_url = server_->url();
    options.token = token == nullptr ? "" : token;
    auto response = rest::HttpClient(options).Call(method, target, std::move(body), type);
    EXPECT_TRUE(response.has_value()) << response.error().message();
    rest::HttpResponse failed;
    failed.status = 0;
    return response.value_or(failed);
  }
  static json Json(const rest::HttpResponse& r) { return json::parse(r.body, nullptr, false); }
  static std::string ErrorCode(const rest::HttpResponse& r) {
    json body = Json(r);
    return body.is_object() && body.contains("error") ? body["error"]["code"].get<std::string>() : "";
  }

  void PushAndActivate(int version, const std::string& large = "500") {
    ASSERT_EQ(Call("POST", "/v1/rulesets", Rules(version, large), "text/plain").status, 201);
    ASSERT_EQ(Call("POST", "/v1/rulesets/shop/activate", json{{"version", version}}.dump()).status, 200);
  }

  fakes::FakeClock clock_;
  std::unique_ptr<engine::kafka::EmbeddedBroker> broker_;
  std::unique_ptr<state::StateStore> store_;
  std::unique_ptr<registry::RulesetRegistry> registry_;
  std::unique_ptr<engine::Service> service_;
  std::unique_ptr<ApiServer> server_;
};

TEST_F(ApiServerTest, EveryRouteButHealthNeedsAToken) {
  const std::pair<const char*, const char*> routes[] = {
      {"POST", "/v1/rulesets"}, {"POST", "/v1/rulesets/validate"}, {"GET", "/v1/rulesets"},
      {"GET", "/v1/rulesets/shop"}, {"GET", "/v1/rulesets/shop/versions/1"},
      {"GET", "/v1/rulesets/shop/diff?from=1&to=2"}, {"POST", "/v1/rulesets/shop/activate"},
      {"DELETE", "/v1/rulesets/shop"}, {"GET", "/v1/rulesets/shop/shadow-diff"},
      {"POST", "/v1/replays"}, {"GET", "/v1/replays/x"}, {"POST", "/v1/events"},
      {"GET", "/v1/keys/a/state"}, {"GET", "/metrics"}};
  for (const auto& [method, path] : routes) {
    const rest::HttpResponse none = Call(method, path, "", "application/json", nullptr);
    EXPECT_EQ(none.status, 401) << method << " " << path;
    EXPECT_EQ(ErrorCode(none), "unauthorized") << method << " " << path;
    EXPECT_EQ(Call(method, path, "", "application/json", "wrong-token-0123456789").status, 401);
  }
  // Read tokens read; admin routes refuse them.
  for (const auto& [method, path] : {std::pair{"POST", "/v1/rulesets"},
                                     {"POST", "/v1/rulesets/shop/activate"},
                                     {"DELETE", "/v1/rulesets/shop"},
                                     {"POST", "/v1/events"},
                                     {"POST", "/v1/replays"}}) {
    EXPECT_EQ(Call(method, path, "{}", "application/json", kReader).status, 403) << path;
  }
  EXPECT_EQ(Call("GET", "/v1/rulesets", "", "", kReader).status, 200);
  EXPECT_EQ(Call("GET", "/healthz", "", "", nullptr).status, 200);
  EXPECT_EQ(Call("GET", "/readyz", "", "", nullptr).status, 200);  // nothing active: nothing to wait for
  EXPECT_EQ(Call("GET", "/v1/nothing").status, 404);
  EXPECT_EQ(Call("PUT", "/v1/rulesets").status, 405);
}

TEST_F(ApiServerTest, UploadsAreValidatedStoredAndImmutable) {
  rest::HttpResponse created = Call("POST", "/v1/rulesets", Rules(1), "text/plain");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Json(created)["version"], 1);
  EXPECT_EQ(Json(created)["rules"].size(), 3u);
  EXPECT_EQ(Call("POST", "/v1/rulesets", Rules(1), "text/plain").status, 200);  // idempotent
  EXPECT_EQ(ErrorCode(Call("POST", "/v1/rulesets", Rules(1, "600"), "text/plain")), "version_conflict");
  // JSON form.
  EXPECT_EQ(Call("POST", "/v1/rulesets", json{{"source", Rules(2, "600")}}.dump()).status, 201);
  // Every diagnostic, with its position; nothing stored.
  rest::HttpResponse invalid = Call("POST", "/v1/rulesets",
                                    "ruleset shop version 3\nschema transaction\nrule r {\n  key nope\n  window last 5x\n}\n",
                                    "text/plain");
  EXPECT_EQ(invalid.status, 422);
  EXPECT_EQ(ErrorCode(invalid), "invalid_ruleset");
  ASSERT_FALSE(Json(invalid)["error"]["details"].empty());
  EXPECT_GT(Json(invalid)["error"]["details"][0]["line"].get<int>(), 1);
  EXPECT_EQ(Json(Call("GET", "/v1/rulesets"))["rulesets"][0]["versions"], json::array({1, 2}));
  // Malformed bodies.
  EXPECT_EQ(Call("POST", "/v1/rulesets", Rules(3), "application/xml").status, 415);
  EXPECT_EQ(ErrorCode(Call("POST", "/v1/rulesets", "ruleset \xff\xfe", "text/plain")), "invalid_utf8");
  EXPECT_EQ(ErrorCode(Call("POST", "/v1/rulesets", R"({"source": "rul)")), "bad_json");
  EXPECT_EQ(ErrorCode(Call("POST", "/v1/rulesets", std::string(100, '[') + std::string(100, ']'))),
            "bad_json");
  EXPECT_EQ(Call("POST", "/v1/rulesets", std::string(70 * 1024, 'x'), "text/plain").status, 413);
  // Read back.
  rest::HttpResponse source = Call("GET", "/v1/rulesets/shop/versions/2");
  EXPECT_EQ(source.status, 200);
  EXPECT_EQ(source.body, Rules(2, "600"));
  EXPECT_EQ(Call("GET", "/v1/rulesets/shop/versions/9").status, 404);
  json diff = Json(Call("GET", "/v1/rulesets/shop/diff?from=1&to=2"));
  for (const auto& rule : diff["rules"]) {
    EXPECT_EQ(rule["change"], rule["rule"] == "small_then_large" ? "changed" : "unchanged") << rule;
  }
  EXPECT_EQ(Call("POST", "/v1/rulesets/validate", Rules(7), "text/plain").status, 200);
  EXPECT_EQ(Json(Call("GET", "/v1/rulesets/shop"))["versions"].size(), 2u);  // validate stores nothing
}

TEST_F(ApiServerTest, ConcurrentUploadsOfOneVersionStoreItOnce) {
  std::atomic<int> created{0};
  std::atomic<int> existed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      const int status = Call("POST", "/v1/rulesets", Rules(1), "text/plain").status;
      (status == 201 ? created : existed)++;
      EXPECT_TRUE(status == 201 || status == 200) << status;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created, 1);
  EXPECT_EQ(existed, 7);
}

TEST_F(ApiServerTest, ActivationSwapsVersionsAndReportsEachRule) {
  PushAndActivate(1);
  ASSERT_EQ(Call("POST", "/v1/rulesets", Rules(2, "600"), "text/plain").status, 201);
  rest::HttpResponse swapped = Call("POST", "/v1/rulesets/shop/activate", json{{"version", 2}}.dump());
  ASSERT_EQ(swapped.status, 200) << swapped.body;
  json report = Json(swapped);
  EXPECT_EQ(report["previous"], 1);
  for (const auto& rule : report["rules"]) {
    EXPECT_EQ(rule["state"], rule["rule"] == "small_then_large" ? "started_empty" : "kept") << rule;
  }
  EXPECT_EQ(Json(Call("GET", "/v1/rulesets/shop"))["live"], 2);
  // Rollback is activating the older version.
  EXPECT_EQ(Call("POST", "/v1/rulesets/shop/activate", json{{"version", 1}}.dump()).status, 200);
  // Shadow beside live, with its diff.
  EXPECT_EQ(Call("GET", "/v1/rulesets/shop/shadow-diff").status, 404);
  ASSERT_EQ(Call("POST", "/v1/rulesets/shop/activate", json{{"version", 2}, {"mode", "shadow"}}.dump()).status,
            200);
  json diff = Json(Call("GET", "/v1/rulesets/shop/shadow-diff"));
  EXPECT_EQ(diff["live_version"], 1);
  EXPECT_EQ(diff["shadow_version"], 2);
  EXPECT_EQ(Call("POST", "/v1/rulesets/shop/activate", json{{"version", 1}, {"mode", "dark"}}.dump()).status, 400);
  EXPECT_EQ(Call("POST", "/v1/rulesets/shop/activate", json{{"version", 9}}.dump()).status, 404);
  EXPECT_EQ(service_->active().size(), 2u);
  rest::HttpResponse stopped = Call("DELETE", "/v1/rulesets/shop?mode=shadow");
  EXPECT_EQ(stopped.status, 200) << stopped.body;
  EXPECT_EQ(Call("GET", "/v1/rulesets/shop/shadow-diff").status, 404);
  EXPECT_EQ(Call("DELETE", "/v1/rulesets/shop").status, 200);
  EXPECT_TRUE(service_->active().empty());
  EXPECT_EQ(Call("DELETE", "/v1/rulesets/shop").status, 409);  // nothing active any more
}

TEST_F(ApiServerTest, IngestedEventsAreMatchedAndExplained) {
  EXPECT_EQ(ErrorCode(Call("POST", "/v1/events", R"({"ts": 1, "account_id": "a"})")), "no_active_ruleset");
  PushAndActivate(1);
  const std::string lines =
      R"({"id": "e1", "ts": 1700000000000, "account_id": "acct-7", "amount": 2.5})" "\n"
      R"({"id": "e2", "account_id": "acct-7", "amount": 3})" "\n"
      R"({"id": "e3", "ts": 1700000001000, "account_id": "acct-7", "amount": 7})" "\n";
  rest::HttpResponse ingested = Call("POST", "/v1/events", lines, "application/x-ndjson");
  ASSERT_EQ(ingested.status, 200) << ingested.body;
  json body = Json(ingested);
  EXPECT_EQ(body["accepted"], 2);
  ASSERT_EQ(body["errors"].size(), 1u);
  EXPECT_EQ(body["errors"][0]["line"], 2);
  // The watermark moves with the next event; then e1 and e3 are matched.
  ASSERT_EQ(Call("POST", "/v1/events",
                 json::array({{{"id", "e4"}, {"ts", 1700000100000}, {"account_id", "acct-8"}, {"amount", 1}}}).dump())
                .status,
            200);
  json state;
  for (int attempt = 0; attempt < 200; ++attempt) {  // bounded: the source thread routes them
    state = Json(Call("GET", "/v1/keys/acct-7/state"));
    if (!state["state"].empty() && state["pending_events"] == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(state["state"].empty()) << state;
  bool partial = false;
  bool window = false;
  for (const auto& lane : state["state"]) {
    for (const auto& rule : lane["rules"]) {
      if (rule["rule"] == "small_then_large") {
        partial = rule["partial_matches"][0]["stages"]["small"] == json::array({"e1"});
        EXPECT_GT(rule["partial_matches"][0]["time_left_ms"].get<int64_t>(), 0);
      }
      if (rule["rule"] == "many") window = rule["windows"][0]["aggregates"]["count()"] == 2;
    }
  }
  EXPECT_TRUE(partial) << state;
  EXPECT_TRUE(window) << state;
  EXPECT_EQ(Json(Call("GET", "/v1/keys/nobody/state"))["state"].size(), 0u);
  rest::HttpResponse metrics = Call("GET", "/metrics", "", "", kReader);
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("cep_http_ingested_records_total 3"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("cep_rule_evaluations_total{"), std::string::npos);
}

TEST(RegistrySeedTest, StoredVersionsAndTheActiveOneSurviveARestart) {
  state::testing::TempDir dir;
  fakes::FakeClock clock;
  {
    auto store = state::OpenRocksDbStore(dir / "registry");
    ASSERT_TRUE(store.has_value());
    auto registry = registry::RulesetRegistry::Open(store->get(), &clock);
    ASSERT_TRUE(registry.has_value());
    auto first = SeedRegistry(**registry, {{"shop.rules", Rules(1)}});
    ASSERT_TRUE(first.has_value());
    ASSERT_EQ(first->live.size(), 1u);
    ASSERT_TRUE((*registry)->Push(Rules(2, "600")).has_value());
    ASSERT_TRUE((*registry)->SetActive("shop", "live", 2).ok());  // as the activate route does
    ASSERT_TRUE((*registry)->SetActive("shop", "shadow", 1).ok());
  }
  auto store = state::OpenRocksDbStore(dir / "registry");
  ASSERT_TRUE(store.has_value());
  auto registry = registry::RulesetRegistry::Open(store->get(), &clock);
  ASSERT_TRUE(registry.has_value());
  // The config still names version 1: the version activated over the API stays live.
  auto again = SeedRegistry(**registry, {{"shop.rules", Rules(1)}});
  ASSERT_TRUE(again.has_value());
  ASSERT_EQ(again->live.size(), 1u);
  EXPECT_EQ(again->live[0].program->version, 2u);
  ASSERT_EQ(again->shadow.size(), 1u);
  EXPECT_EQ(again->shadow[0].program->version, 1u);
  // A new version in the file is deployed by the restart.
  auto deployed = SeedRegistry(**registry, {{"shop.rules", Rules(3, "700")}});
  ASSERT_TRUE(deployed.has_value());
  EXPECT_EQ(deployed->live[0].program->version, 3u);
}

}  // namespace
}  // namespace api::server
