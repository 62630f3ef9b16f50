// `cep rulesets` against a real HttpServer on loopback whose handlers keep a real
// RulesetRegistry (memory store) and answer with api/registry/registry_json.h, so
// the command is tested against the shapes the service sends.
#include <gtest/gtest.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <string>
#include <vector>

#include "api/cli/cli.h"
#include "api/cli/command.h"
#include "api/registry/registry_json.h"
#include "api/registry/ruleset_registry.h"
#include "api/rest/http_server.h"
#include "api/rest/router.h"
#include "tests/fakes/fake_clock.h"
#include "tests/state/temp_dir.h"

namespace api {
namespace {

using Json = nlohmann::json;
using registry::RulesetRegistry;
using rest::HttpRequest;
using rest::HttpResponse;
using rest::Scope;

constexpr const char* kAdminToken = "admin-token";
constexpr const char* kReadToken = "read-token";

std::string Text(int version, int large = 500, bool extra = false) {
  std::string text = "ruleset card_fraud version " + std::to_string(version) +
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
                     "  window last 30m\n"
                     "  when count() >= 5\n"
                     "}\n";
  if (extra) {
    text +=
        "\nrule many_countries {\n"
        "  key card_id\n"
        "  window last 1d\n"
        "  when count_distinct(country) >= 4\n"
        "}\n";
  }
  return text;
}

struct SeenRequest {
  std::string method, target, content_type, authorization, body;
};

// The ruleset routes of INTERFACES.md over a real registry; activation only
// records (there is no engine), answering with the documented shape.
class FakeService {
 public:
  FakeService() {
    registry_ = RulesetRegistry::Open(store_.get(), &clock_).value();
    auto router = std::make_shared<rest::Router>(
        rest::TokenAuth({{kAdminToken, Scope::kAdmin}, {kReadToken, Scope::kRead}}));
    AddRoutes(*router);
    rest::HttpServerOptions options;
    options.address = "127.0.0.1:0";
    server_ = rest::HttpServer::Start(options, router).value();
  }

  std::string url() const { return server_->url(); }
  RulesetRegistry& registry() { return *registry_; }
  SeenRequest last() {
    std::lock_guard lock(mutex_);
    return last_;
  }
  void Stop() { server_->Stop(); }
  // GET /v1/rulesets answers JSON of the wrong shape.
  void AnswerOddList() { odd_list_ = true; }

 private:
  void Record(const HttpRequest& request) {
    std::lock_guard lock(mutex_);
    last_ = {request.method, request.target, std::string(request.content_type()),
             std::string(request.header("authorization")), request.body};
  }

  void AddRoutes(rest::Router& router) {
    router.Add("POST", "/v1/rulesets", Scope::kAdmin, [this](HttpRequest& request) {
      Record(request);
      auto pushed = registry_->Push(request.body);
      if (!pushed) {
        return rest::ErrorResponse(registry::PushErrorStatus(pushed.error()),
                                   registry::PushErrorCode(pushed.error()),
                                   pushed.error().message,
                                   registry::PushErrorDetails(pushed.error()));
      }
      return rest::JsonResponse(pushed->created ? 201 : 200, registry::PushOutcomeJson(*pushed));
    });
    router.Add("POST", "/v1/rulesets/validate", Scope::kRead, [this](HttpRequest& request) {
      Record(request);
      auto compiled = registry_->Validate(request.body);
      if (!compiled) {
        // Only line and column, as another server might send: the CLI finds the offset.
        Json details = registry::DiagnosticsJson(compiled.error());
        for (Json& d : details) {
          d.erase("offset");
          d.erase("length");
        }
        return rest::ErrorResponse(422, "invalid_ruleset", "the ruleset does not compile",
                                   details);
      }
      const cep::Program& program = *compiled->program;
      return rest::JsonResponse(200, {{"name", program.ruleset},
                                      {"version", program.version},
                                      {"rules", registry::RulesJson(
                                                    registry::SummarizeRules(program))}});
    });
    router.Add("GET", "/v1/rulesets", Scope::kRead, [this](HttpRequest& request) {
      Record(request);
      if (odd_list_) return rest::JsonResponse(200, {{"rulesets", 3}});
      return rest::JsonResponse(200, registry::RulesetListJson(registry_->List()));
    });
    router.Add("GET", "/v1/rulesets/{name}", Scope::kRead, [this](HttpRequest& request) {
      Record(request);
      auto info = registry_->Info(request.params["name"]);
      if (!info) return rest::ErrorResponse(404, "not_found", "no ruleset " + request.params["name"]);
      std::vector<registry::StoredVersion> versions;
      for (uint32_t v : info->versions) versions.push_back(*registry_->Version(info->name, v));
      return rest::JsonResponse(200, registry::RulesetJson(*info, versions));
    });
    router.Add("GET", "/v1/rulesets/{name}/versions/{v}", Scope::kRead,
               [this](HttpRequest& request) {
                 Record(request);
                 auto v = registry_->Version(request.params["name"],
                                             static_cast<uint32_t>(std::stoul(request.params["v"])));
                 if (!v) return rest::ErrorResponse(404, "not_found", "no such version");
                 return rest::TextResponse(200, v->source);
               });
    router.Add("GET", "/v1/rulesets/{name}/diff", Scope::kRead, [this](HttpRequest& request) {
      Record(request);
      const auto from = static_cast<uint32_t>(std::stoul(request.query["from"]));
      const auto to = static_cast<uint32_t>(std::stoul(request.query["to"]));
      auto diff = registry_->Diff(request.params["name"], from, to);
      if (!diff) return rest::ErrorResponse(404, "not_found", diff.error().message());
      return rest::JsonResponse(200,
                                registry::DiffResponseJson(request.params["name"], from, to, *diff));
    });
    router.Add("POST", "/v1/rulesets/{name}/activate", Scope::kAdmin, [this](HttpRequest& request) {
      Record(request);
      const std::string name = request.params["name"];
      const Json body = Json::parse(request.body);
      const auto version = body.at("version").get<uint32_t>();
      const std::string mode = body.at("mode").get<std::string>();
      auto info = registry_->Info(name);
      if (!info) return rest::ErrorResponse(404, "not_found", "no ruleset " + name);
      if (!registry_->Version(name, version)) {
        return rest::ErrorResponse(404, "not_found", name + " has no version " + std::to_string(version));
      }
      const std::optional<uint32_t> previous = mode == "live" ? info->active.live : info->active.shadow;
      Json rules = Json::array();
      if (previous) {
        const std::vector<registry::RuleDiff> diff = registry_->Diff(name, *previous, version).value();
        for (const registry::RuleDiff& d : diff) {
          const char* state = d.change == registry::RuleChange::kUnchanged ? "kept"
                              : d.change == registry::RuleChange::kRemoved ? "removed"
                                                                            : "started_empty";
          rules.push_back({{"rule", d.rule},
                           {"state", state},
                           {"reason", d.change == registry::RuleChange::kUnchanged
                                          ? ""
                                          : std::string(registry::RuleChangeName(d.change))}});
        }
      }
      if (cep::Status set = registry_->SetActive(name, mode, version); !set.ok()) {
        return rest::ErrorResponse(404, "not_found", set.message());
      }
      return rest::JsonResponse(200, {{"name", name},
                                      {"version", version},
                                      {"mode", mode},
                                      {"previous", previous ? Json(*previous) : Json(nullptr)},
                                      {"pause_ms", 1.25},
                                      {"rules", rules}});
    });
    router.Add("DELETE", "/v1/rulesets/{name}", Scope::kAdmin, [this](HttpRequest& request) {
      Record(request);
      const std::string name = request.params["name"];
      auto info = registry_->Info(name);
      if (!info) return rest::ErrorResponse(404, "not_found", "no ruleset " + name);
      Json deactivated = Json::array();
      for (const std::string& mode : {std::string("live"), std::string("shadow")}) {
        if (request.query.contains("mode") && request.query["mode"] != mode) continue;
        if ((mode == "live" ? info->active.live : info->active.shadow).has_value()) {
          deactivated.push_back(mode);
        }
        (void)registry_->ClearActive(name, mode);
      }
      return rest::JsonResponse(200, {{"name", name}, {"deactivated", deactivated}});
    });
  }

  fakes::FakeClock clock_;
  std::unique_ptr<state::StateStore> store_ = state::NewMemoryStore();
  std::unique_ptr<RulesetRegistry> registry_;
  std::unique_ptr<rest::HttpServer> server_;
  std::atomic<bool> odd_list_{false};
  std::mutex mutex_;
  SeenRequest last_;
};

struct CliRun {
  int exit_code;
  std::string out;
  std::string err;
};

// `cep rulesets ARGS...` in-process, parsed as RunCli parses (api/cli/cli.cc).
CliRun Rulesets(std::vector<std::string> args) {
  args.insert(args.begin(), {"cep", "rulesets"});
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  int code = kExitUsage;
  {
    CLI::App app{"cep", "cep"};
    app.require_subcommand(1);
    Action action;
    AddRulesetsCommand(app, action);
    try {
      app.parse(static_cast<int>(argv.size()), argv.data());
      code = action ? action() : kExitUsage;
    } catch (const CLI::ParseError& e) {
      code = app.exit(e) == 0 ? kExitOk : kExitUsage;
    }
  }
  return {code, testing::internal::GetCapturedStdout(), testing::internal::GetCapturedStderr()};
}

class RulesetsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);  // the registry's info logs go to stdout here
    ::unsetenv("CEP_URL");
    ::setenv("CEP_API_TOKEN", kAdminToken, 1);
  }
  void TearDown() override { ::unsetenv("CEP_API_TOKEN"); }

  std::string File(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }
  CliRun Run(std::vector<std::string> args) {
    args.insert(args.end(), {"--url", service_.url()});
    return Rulesets(std::move(args));
  }

  state::testing::TempDir dir_;
  FakeService service_;
};

TEST_F(RulesetsCliTest, PushStoresThenReportsChangesAndIdempotence) {
  const std::string v1 = File("v1.rules", Text(1, 500, /*extra=*/true));
  const std::string v2 = File("v2.rules", Text(2, 900));
  CliRun first = Run({"push", v1});
  EXPECT_EQ(first.exit_code, kExitOk) << first.err;
  EXPECT_EQ(first.out, "card_fraud version 1: stored, first version (3 rules)\n");
  const SeenRequest seen = service_.last();
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/v1/rulesets");
  EXPECT_EQ(seen.content_type, "text/plain");
  EXPECT_EQ(seen.authorization, std::string("Bearer ") + kAdminToken);
  EXPECT_EQ(seen.body, Text(1, 500, true));

  CliRun second = Run({"push", v2});
  EXPECT_EQ(second.exit_code, kExitOk) << second.err;
  EXPECT_EQ(second.out, "card_fraud version 2: stored (1 rule changed, 1 removed, 1 unchanged)\n");
  CliRun again = Run({"push", v2});
  EXPECT_EQ(again.exit_code, kExitOk) << again.err;
  EXPECT_EQ(again.out, "card_fraud version 2: already stored\n");
  EXPECT_EQ(service_.registry().Info("card_fraud")->versions, (std::vector<uint32_t>{1, 2}));
}

TEST_F(RulesetsCliTest, InvalidRulesArePrintedAsFileLineColWithACaret) {
  const std::string bad = File("bad.rules",
                               "ruleset broken version 1\n"
                               "rule a {\n"
                               "  key account_id\n"
                               "  where no_such_field > 3\n"
                               "  window last 30m\n"
                               "  when count() >= 5\n"
                               "}\n");
  for (const char* sub : {"push", "validate"}) {
    CliRun run = Run({sub, bad});
    EXPECT_EQ(run.exit_code, kExitUserError) << sub;
    EXPECT_NE(run.err.find(bad + ":4:9: "), std::string::npos) << sub << ": " << run.err;
    EXPECT_NE(run.err.find("  where no_such_field > 3\n        ^"), std::string::npos)
        << sub << ": " << run.err;
    EXPECT_NE(run.err.find(bad + ": 1 error\n"), std::string::npos) << run.err;
    EXPECT_EQ(run.out, "");
  }
  EXPECT_TRUE(service_.registry().List().empty());
}

TEST_F(RulesetsCliTest, ValidateSaysOkWithoutStoring) {
  CliRun run = Run({"validate", File("ok.rules", Text(4))});
  EXPECT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_NE(run.out.find("ok.rules: ok, ruleset card_fraud version 4, 2 rules\n"),
            std::string::npos)
      << run.out;
  EXPECT_TRUE(service_.registry().List().empty());
}

TEST_F(RulesetsCliTest, AConflictPrintsTheServersMessageAndExitsOne) {
  ASSERT_EQ(Run({"push", File("v3.rules", Text(3))}).exit_code, kExitOk);
  CliRun run = Run({"push", File("v3b.rules", Text(3, 700))});
  EXPECT_EQ(run.exit_code, kExitUserError);
  EXPECT_NE(run.err.find("cep rulesets push: card_fraud version 3 is already stored with "
                         "different text; bump the version (the latest is 3) (HTTP 409)"),
            std::string::npos)
      << run.err;
  // One bad file does not stop the others.
  CliRun mixed = Run({"push", dir_.path().string() + "/missing.rules", File("v4.rules", Text(4))});
  EXPECT_EQ(mixed.exit_code, kExitUserError);
  EXPECT_NE(mixed.err.find("missing.rules: cannot read the file"), std::string::npos);
  EXPECT_EQ(mixed.out, "card_fraud version 4: stored (2 rules unchanged)\n");
}

TEST_F(RulesetsCliTest, PushCanActivateRightAfter) {
  CliRun live = Run({"push", File("v1.rules", Text(1)), "--activate"});
  EXPECT_EQ(live.exit_code, kExitOk) << live.err;
  EXPECT_NE(live.out.find("card_fraud version 1 active (live); paused 1.2 ms"), std::string::npos)
      << live.out;
  CliRun shadow = Run({"push", "--activate=shadow", File("v2.rules", Text(2, 900))});
  EXPECT_EQ(shadow.exit_code, kExitOk) << shadow.err;
  EXPECT_NE(shadow.out.find("card_fraud version 2 active (shadow)"), std::string::npos)
      << shadow.out;
  EXPECT_EQ(service_.registry().Info("card_fraud")->active, (registry::Activation{1, 2}));
  EXPECT_EQ(Run({"push", File("v3.rules", Text(3)), "--activate", "canary"}).exit_code, kExitUsage);
}

TEST_F(RulesetsCliTest, ActivatePrintsWhatHappenedToEachRule) {
  auto& registry = service_.registry();
  ASSERT_TRUE(registry.Push(Text(1, 500, true)).ok());
  ASSERT_TRUE(registry.Push(Text(2, 900)).ok());
  ASSERT_EQ(Run({"activate", "card_fraud", "1"}).exit_code, kExitOk);
  CliRun run = Run({"activate", "card_fraud", "2"});
  EXPECT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.out,
            "card_fraud version 2 active (live), previously version 1; paused 1.2 ms\n"
            "  small_then_large  started empty (changed)\n"
            "  spend_30m         kept state\n"
            "  many_countries    removed (removed)\n");
  const SeenRequest seen = service_.last();
  EXPECT_EQ(seen.target, "/v1/rulesets/card_fraud/activate");
  EXPECT_EQ(Json::parse(seen.body), (Json{{"version", 2}, {"mode", "live"}}));
  ASSERT_EQ(Run({"activate", "card_fraud", "1", "--shadow"}).exit_code, kExitOk);
  EXPECT_EQ(Json::parse(service_.last().body)["mode"], "shadow");
  EXPECT_EQ(registry.Info("card_fraud")->active, (registry::Activation{2, 1}));

  CliRun missing = Run({"activate", "card_fraud", "9"});
  EXPECT_EQ(missing.exit_code, kExitUserError);
  EXPECT_NE(missing.err.find("card_fraud has no version 9 (HTTP 404)"), std::string::npos)
      << missing.err;
}

TEST_F(RulesetsCliTest, ListShowSourceDiffAndDeactivate) {
  auto& registry = service_.registry();
  EXPECT_EQ(Run({"list"}).out, "no rulesets stored\n");
  ASSERT_TRUE(registry.Push(Text(1, 500, true)).ok());
  ASSERT_TRUE(registry.Push(Text(2, 900)).ok());
  ASSERT_TRUE(registry.SetActive("card_fraud", "live", 2).ok());

  CliRun list = Run({"list"});
  EXPECT_EQ(list.exit_code, kExitOk) << list.err;
  EXPECT_EQ(list.out,
            "NAME        VERSIONS  LIVE    SHADOW\n"
            "card_fraud  1,2       2       -\n");

  CliRun show = Run({"show", "card_fraud"});
  EXPECT_EQ(show.exit_code, kExitOk) << show.err;
  EXPECT_NE(show.out.find("card_fraud: live 2, shadow -\n"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("version 2  created 2023-11-14T22:13:20Z  [live]\n"), std::string::npos)
      << show.out;
  EXPECT_NE(show.out.find("  many_countries    window   -         live\n"), std::string::npos)
      << show.out;

  CliRun source = Run({"source", "card_fraud", "1"});
  EXPECT_EQ(source.exit_code, kExitOk);
  EXPECT_EQ(source.out, Text(1, 500, true));

  CliRun diff = Run({"diff", "card_fraud", "1", "2"});
  EXPECT_EQ(diff.exit_code, kExitOk) << diff.err;
  EXPECT_EQ(diff.out,
            "card_fraud version 1 -> 2\n"
            "  ~ small_then_large (changed)\n"
            "  - many_countries (removed)\n"
            "  1 rule unchanged\n");
  EXPECT_EQ(service_.last().target, "/v1/rulesets/card_fraud/diff?from=1&to=2");

  CliRun shadow_only = Run({"deactivate", "card_fraud", "--mode", "shadow"});
  EXPECT_EQ(shadow_only.out, "card_fraud: nothing was active\n");
  EXPECT_EQ(service_.last().target, "/v1/rulesets/card_fraud?mode=shadow");
  CliRun both = Run({"deactivate", "card_fraud"});
  EXPECT_EQ(both.exit_code, kExitOk) << both.err;
  EXPECT_EQ(both.out, "card_fraud: deactivated live\n");
  EXPECT_EQ(service_.last().method, "DELETE");
  EXPECT_EQ(registry.Info("card_fraud")->active, registry::Activation{});

  CliRun unknown = Run({"show", "nope"});
  EXPECT_EQ(unknown.exit_code, kExitUserError);
  EXPECT_NE(unknown.err.find("cep rulesets show: no ruleset nope (HTTP 404)"), std::string::npos)
      << unknown.err;
}

TEST_F(RulesetsCliTest, JsonPrintsTheServersResponse) {
  ASSERT_TRUE(service_.registry().Push(Text(1)).ok());
  CliRun run = Run({"list", "--json"});
  EXPECT_EQ(run.exit_code, kExitOk);
  const Json body = Json::parse(run.out);
  EXPECT_EQ(body, registry::RulesetListJson(service_.registry().List()));
  EXPECT_EQ(body["rulesets"][0]["latest"], 1);
  CliRun pushed = Run({"push", "--json", File("v1.rules", Text(1))});
  EXPECT_EQ(pushed.exit_code, kExitOk);
  EXPECT_EQ(Json::parse(pushed.out)["created"], false);
}

TEST_F(RulesetsCliTest, TokenComesFromFlagEnvironmentOrTheDataDirectory) {
  ::unsetenv("CEP_API_TOKEN");
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir_.path());  // no cep-data/ here
  CliRun none = Run({"list"});
  EXPECT_EQ(none.exit_code, kExitUserError);
  EXPECT_NE(none.err.find("(HTTP 401)"), std::string::npos) << none.err;
  EXPECT_NE(none.err.find("CEP_API_TOKEN"), std::string::npos) << none.err;
  EXPECT_EQ(service_.last().method, "");  // the handler never ran

  EXPECT_EQ(Run({"list", "--token", kReadToken}).exit_code, kExitOk);
  EXPECT_EQ(service_.last().authorization, std::string("Bearer ") + kReadToken);
  CliRun forbidden = Run({"push", File("v1.rules", Text(1)), "--token", kReadToken});
  EXPECT_EQ(forbidden.exit_code, kExitUserError);
  EXPECT_NE(forbidden.err.find("(HTTP 403)"), std::string::npos) << forbidden.err;

  std::filesystem::create_directories(dir_ / "cep-data");
  std::ofstream(dir_ / "cep-data" / "api-token") << kAdminToken << "\n";
  CliRun from_file = Run({"list"});
  std::filesystem::current_path(cwd);
  EXPECT_EQ(from_file.exit_code, kExitOk) << from_file.err;
  EXPECT_EQ(service_.last().authorization, std::string("Bearer ") + kAdminToken);
}

TEST_F(RulesetsCliTest, UrlComesFromTheEnvironment) {
  ::setenv("CEP_URL", service_.url().c_str(), 1);
  CliRun run = Rulesets({"list"});
  ::unsetenv("CEP_URL");
  EXPECT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(service_.last().target, "/v1/rulesets");
}

TEST_F(RulesetsCliTest, AnUnreachableServerIsNamed) {
  const std::string url = service_.url();
  service_.Stop();
  CliRun run = Run({"list"});
  EXPECT_EQ(run.exit_code, kExitUserError);
  EXPECT_NE(run.err.find("cep rulesets: cannot reach " + url +
                         ": connection refused (is cep serve running?)"),
            std::string::npos)
      << run.err;
}

TEST_F(RulesetsCliTest, AResponseOfTheWrongShapeIsAnErrorNotACrash) {
  service_.AnswerOddList();
  CliRun run = Run({"list"});
  EXPECT_EQ(run.exit_code, kExitUserError);
  EXPECT_NE(run.err.find("cep rulesets: unexpected response from the server"), std::string::npos)
      << run.err;
}

TEST_F(RulesetsCliTest, BadUsageExitsTwo) {
  EXPECT_EQ(Rulesets({}).exit_code, kExitUsage);
  EXPECT_EQ(Rulesets({"push"}).exit_code, kExitUsage);
  EXPECT_EQ(Rulesets({"activate", "card_fraud", "three"}).exit_code, kExitUsage);
  EXPECT_EQ(Rulesets({"diff", "card_fraud", "1"}).exit_code, kExitUsage);
  EXPECT_EQ(Rulesets({"deactivate", "card_fraud", "--mode", "canary"}).exit_code, kExitUsage);
  CliRun help = Rulesets({"push", "--help"});
  EXPECT_EQ(help.exit_code, kExitOk);
  EXPECT_NE(help.out.find("--activate"), std::string::npos);
  EXPECT_EQ(service_.last().method, "");  // nothing reached the server
}

}  // namespace
}  // namespace api
