// `cep rulesets`: the REST API's ruleset calls from the command line
// (api/registry/README.md has the commands and the JSON they read).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "api/cli/cli.h"
#include "api/cli/command.h"
#include "api/rest/http_client.h"
#include "rules/diagnostic.h"

namespace api {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kDefaultUrl = "http://127.0.0.1:8080";
// Where `cep serve` writes the admin token it generates when none is configured.
constexpr std::string_view kTokenFile = "cep-data/api-token";

struct ClientFlags {
  std::string url;
  std::string token;
  std::string ca_file;
  bool insecure = false;
  bool json = false;  // print the server's JSON instead of a table
};

struct RulesetsOptions {
  ClientFlags client;
  std::vector<std::string> files;
  std::string activate;  // push --activate [live|shadow]; "" = do not activate
  std::string name;
  uint32_t version = 0;
  uint32_t from = 0;
  uint32_t to = 0;
  bool shadow = false;
  std::string mode;  // deactivate --mode
};

std::string Trimmed(std::string text) {
  const size_t end = text.find_last_not_of(" \t\r\n");
  text.erase(end == std::string::npos ? 0 : end + 1);
  const size_t start = text.find_first_not_of(" \t\r\n");
  return start == std::string::npos ? std::string() : text.substr(start);
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// --url and --token fall back to the environment, then to the defaults.
rest::HttpClientOptions ClientOptions(const ClientFlags& flags) {
  rest::HttpClientOptions options;
  options.base_url = flags.url;
  if (options.base_url.empty()) {
    const char* env = std::getenv("CEP_URL");
    options.base_url = env != nullptr && *env != '\0' ? env : std::string(kDefaultUrl);
  }
  options.token = flags.token;
  if (options.token.empty()) {
    if (const char* env = std::getenv("CEP_API_TOKEN"); env != nullptr) options.token = env;
  }
  if (options.token.empty()) {
    if (auto text = ReadFile(std::string(kTokenFile))) options.token = Trimmed(*text);
  }
  options.ca_file = flags.ca_file;
  options.insecure = flags.insecure;
  return options;
}

// A path segment, percent-encoded: ruleset names are identifiers, but what a
// user types must not change the route.
std::string Segment(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '_' || c == '-' || c == '.' || c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

Json ParseJson(const std::string& body) { return Json::parse(body, nullptr, false); }

std::string Plural(uint64_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

std::string VersionOrNone(const Json& value) {
  return value.is_number_unsigned() || value.is_number_integer() ? value.dump() : "-";
}

std::string FormatTime(int64_t millis) {
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// One call to the server, and what to say when it fails.
class Remote {
 public:
  Remote(std::string command, const ClientFlags& flags)
      : command_(std::move(command)), options_(ClientOptions(flags)), client_(options_),
        json_(flags.json) {}

  // The response (any HTTP status), or nullopt after printing why the server
  // could not be reached.
  std::optional<rest::HttpResponse> Call(std::string_view method, const std::string& target,
                                         std::string body = {},
                                         std::string_view content_type = "application/json") const {
    auto response = client_.Call(method, target, std::move(body), content_type);
    if (response) return std::move(response).value();
    std::string why = response.error().message();
    // The client says "POST http://host/v1/rulesets: connecting: Connection refused".
    const std::string where = std::string(method) + " " + options_.base_url + target + ": ";
    if (why.starts_with(where)) why.erase(0, where.size());
    const bool connecting = why.starts_with("connecting: ");
    if (connecting) why.erase(0, std::string_view("connecting: ").size());
    if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
    std::cerr << "cep rulesets: cannot reach " << options_.base_url << ": " << why
              << (connecting ? " (is cep serve running?)" : "") << "\n";
    return std::nullopt;
  }

  // Prints the server's error ({"error": {"code", "message", "details"}}) and
  // returns the exit code for it.
  int Fail(const rest::HttpResponse& response) const {
    if (json_) std::cout << response.body << (response.body.ends_with('\n') ? "" : "\n");
    const Json body = ParseJson(response.body);
    const Json* error = body.is_object() && body.contains("error") ? &body["error"] : nullptr;
    std::string message = error != nullptr && error->contains("message") && (*error)["message"].is_string()
                              ? (*error)["message"].get<std::string>()
                              : Trimmed(response.body);
    if (message.empty()) message = fmt::format("the server answered HTTP {}", response.status);
    std::cerr << "cep rulesets " << command_ << ": " << message << " (HTTP " << response.status
              << ")\n";
    if (error != nullptr && error->contains("details") && (*error)["details"].is_array()) {
      for (const Json& detail : (*error)["details"]) {
        std::cerr << "  "
                  << (detail.is_object() && detail.contains("text") && detail["text"].is_string()
                          ? detail["text"].get<std::string>()
                          : detail.is_string() ? detail.get<std::string>() : detail.dump())
                  << "\n";
      }
    }
    if (response.status == 401) {
      std::cerr << "  (pass --token, set CEP_API_TOKEN, or run where " << kTokenFile
                << " is readable)\n";
    }
    return kExitUserError;
  }

  // --json: the body as the server sent it.
  bool PrintRaw(const rest::HttpResponse& response) const {
    if (!json_) return false;
    std::cout << response.body << (response.body.ends_with('\n') ? "" : "\n");
    return true;
  }

  const std::string& url() const { return options_.base_url; }

 private:
  std::string command_;
  rest::HttpClientOptions options_;
  rest::HttpClient client_;
  bool json_;
};

// A 422 of push or validate: every diagnostic as `cep check` prints it, with the
// line and a caret from the local file.
void PrintDiagnostics(const std::string& file, const std::string& source, const Json& details) {
  std::vector<rules::Diagnostic> diagnostics;
  for (const Json& d : details) {
    if (!d.is_object()) continue;
    rules::Diagnostic diagnostic;
    diagnostic.span.line = d.value("line", 1u);
    diagnostic.span.col = d.value("col", 1u);
    diagnostic.message = d.value("message", std::string("invalid ruleset"));
    if (d.contains("offset")) {
      diagnostic.span.offset = d.value("offset", 0u);
      diagnostic.span.length = d.value("length", 1u);
    } else {
      // Line and column only: find the offset in our copy of the text.
      size_t offset = 0;
      for (uint32_t line = 1; line < diagnostic.span.line && offset != std::string::npos; ++line) {
        offset = source.find('\n', offset);
        if (offset != std::string::npos) ++offset;
      }
      diagnostic.span.offset = offset == std::string::npos
                                   ? static_cast<uint32_t>(source.size() + 1)
                                   : static_cast<uint32_t>(offset + diagnostic.span.col - 1);
      diagnostic.span.length = 1;
    }
    diagnostics.push_back(std::move(diagnostic));
  }
  std::cerr << rules::FormatDiagnostics(file, source, diagnostics);
  std::cerr << file << ": " << Plural(diagnostics.size(), "error") << "\n";
}

// "2 rules changed, 1 unchanged" from a diff_from_previous array.
std::string ChangeSummary(const Json& diff) {
  uint64_t counts[4] = {};
  const std::string_view names[4] = {"added", "changed", "removed", "unchanged"};
  for (const Json& d : diff) {
    const std::string change = d.value("change", std::string());
    for (size_t i = 0; i < 4; ++i) counts[i] += change == names[i] ? 1 : 0;
  }
  std::string out;
  for (size_t i = 0; i < 4; ++i) {
    if (counts[i] == 0) continue;
    out += out.empty() ? Plural(counts[i], "rule") + " " + std::string(names[i])
                       : ", " + std::to_string(counts[i]) + " " + std::string(names[i]);
  }
  return out;
}

int Activate(const Remote& remote, const std::string& name, uint32_t version,
             const std::string& mode) {
  const Json request = {{"version", version}, {"mode", mode}};
  auto response =
      remote.Call("POST", "/v1/rulesets/" + Segment(name) + "/activate", request.dump());
  if (!response) return kExitUserError;
  if (response->status >= 400) return remote.Fail(*response);
  if (remote.PrintRaw(*response)) return kExitOk;
  const Json body = ParseJson(response->body);
  std::string line = fmt::format("{} version {} active ({})", name, version, mode);
  if (body.is_object()) {
    if (body.contains("previous") && !body["previous"].is_null()) {
      line += ", previously version " + VersionOrNone(body["previous"]);
    }
    if (body.contains("pause_ms") && body["pause_ms"].is_number()) {
      line += fmt::format("; paused {:.1f} ms", body["pause_ms"].get<double>());
    }
  }
  std::cout << line << "\n";
  if (body.is_object() && body.contains("rules") && body["rules"].is_array()) {
    size_t width = 4;
    for (const Json& r : body["rules"]) width = std::max(width, r.value("rule", std::string()).size());
    for (const Json& r : body["rules"]) {
      std::string state = r.value("state", std::string("?"));
      if (state == "started_empty") state = "started empty";
      if (state == "kept") state = "kept state";
      const std::string reason = r.value("reason", std::string());
      std::cout << fmt::format("  {:<{}}  {}{}\n", r.value("rule", std::string()), width, state,
                               reason.empty() ? "" : " (" + reason + ")");
    }
  }
  return kExitOk;
}

// Sends each file to `route` as text; prints a 422's diagnostics as
// FILE:line:col and other errors as the server gave them; calls `on_ok` with
// the file and the parsed body of each accepted one. Returns the exit code.
int SendFiles(const RulesetsOptions& o, Remote& remote, const char* route,
              const std::function<int(const std::string& file, const rest::HttpResponse& response,
                                      const Json& body)>& on_ok) {
  int exit_code = kExitOk;
  for (const std::string& file : o.files) {
    auto source = ReadFile(file);
    if (!source) {
      std::cerr << file << ": cannot read the file\n";
      exit_code = kExitUserError;
      continue;
    }
    auto response = remote.Call("POST", route, *source, "text/plain");
    if (!response) return kExitUserError;
    const Json body = ParseJson(response->body);
    if (response->status == 422 && !o.client.json && body.is_object() && body.contains("error")) {
      PrintDiagnostics(file, *source, body["error"].value("details", Json::array()));
      exit_code = kExitUserError;
      continue;
    }
    if (response->status >= 400) {
      exit_code = remote.Fail(*response);
      continue;
    }
    if (int code = on_ok(file, *response, body); code != kExitOk) exit_code = code;
  }
  return exit_code;
}

int Push(const RulesetsOptions& o) {
  Remote remote("push", o.client);
  return SendFiles(o, remote, "/v1/rulesets", [&](const std::string&, const rest::HttpResponse& response,
                                                  const Json& body) {
    const std::string name = body.value("name", std::string());
    const uint32_t version = body.value("version", 0u);
    if (!remote.PrintRaw(response)) {
      std::string what = "already stored";
      if (body.value("created", false)) {
        const Json diff = body.value("diff_from_previous", Json::array());
        what = diff.empty() ? "stored, first version (" +
                                  Plural(body.value("rules", Json::array()).size(), "rule") + ")"
                            : "stored (" + ChangeSummary(diff) + ")";
      }
      std::cout << name << " version " << version << ": " << what << "\n";
    }
    return o.activate.empty() ? kExitOk : Activate(remote, name, version, o.activate);
  });
}

int Validate(const RulesetsOptions& o) {
  Remote remote("validate", o.client);
  return SendFiles(o, remote, "/v1/rulesets/validate", [&](const std::string& file,
                                                           const rest::HttpResponse& response,
                                                           const Json& body) {
    if (remote.PrintRaw(response)) return kExitOk;
    std::cout << file << ": ok";
    if (body.is_object() && body.contains("name")) {
      std::cout << ", ruleset " << body.value("name", std::string()) << " version "
                << body.value("version", 0u);
    }
    if (body.is_object() && body.contains("rules") && body["rules"].is_array()) {
      std::cout << ", " << Plural(body["rules"].size(), "rule");
    }
    std::cout << "\n";
    return kExitOk;
  });
}

// Sends one request; on success prints --json or hands the parsed body on.
template <typename Print>
int Query(const RulesetsOptions& o, std::string command, std::string_view method,
          const std::string& target, std::string body, Print print) {
  Remote remote(std::move(command), o.client);
  auto response = remote.Call(method, target, std::move(body));
  if (!response) return kExitUserError;
  if (response->status >= 400) return remote.Fail(*response);
  if (remote.PrintRaw(*response)) return kExitOk;
  print(*response);
  return kExitOk;
}

std::string VersionList(const Json& versions) {
  std::string out;
  for (const Json& v : versions) out += (out.empty() ? "" : ",") + v.dump();
  return out.empty() ? "-" : out;
}

int List(const RulesetsOptions& o) {
  return Query(o, "list", "GET", "/v1/rulesets", {}, [](const rest::HttpResponse& response) {
    const Json body = ParseJson(response.body);
    const Json rulesets = body.is_object() ? body.value("rulesets", Json::array()) : Json::array();
    if (rulesets.empty()) {
      std::cout << "no rulesets stored\n";
      return;
    }
    size_t name_width = 4;
    size_t versions_width = 8;
    for (const Json& r : rulesets) {
      name_width = std::max(name_width, r.value("name", std::string()).size());
      versions_width = std::max(versions_width, VersionList(r.value("versions", Json::array())).size());
    }
    std::cout << fmt::format("{:<{}}  {:<{}}  {:<6}  {}\n", "NAME", name_width, "VERSIONS",
                             versions_width, "LIVE", "SHADOW");
    for (const Json& r : rulesets) {
      std::cout << fmt::format("{:<{}}  {:<{}}  {:<6}  {}\n", r.value("name", std::string()),
                               name_width, VersionList(r.value("versions", Json::array())),
                               versions_width, VersionOrNone(r.value("live", Json())),
                               VersionOrNone(r.value("shadow", Json())));
    }
  });
}

int Show(const RulesetsOptions& o) {
  return Query(o, "show", "GET", "/v1/rulesets/" + Segment(o.name), {},
               [](const rest::HttpResponse& response) {
    const Json body = ParseJson(response.body);
    if (!body.is_object()) {
      std::cout << response.body << "\n";
      return;
    }
    const Json live = body.value("live", Json());
    const Json shadow = body.value("shadow", Json());
    std::cout << body.value("name", std::string()) << ": live " << VersionOrNone(live)
              << ", shadow " << VersionOrNone(shadow) << "\n";
    for (const Json& v : body.value("versions", Json::array())) {
      std::string marks;
      if (v.value("version", Json()) == live && !live.is_null()) marks += "  [live]";
      if (v.value("version", Json()) == shadow && !shadow.is_null()) marks += "  [shadow]";
      std::cout << "version " << VersionOrNone(v.value("version", Json())) << "  created "
                << FormatTime(v.value("created_ms", int64_t{0})) << marks << "\n";
      const Json rules = v.value("rules", Json::array());
      size_t width = 4;
      for (const Json& r : rules) width = std::max(width, r.value("name", std::string()).size());
      for (const Json& r : rules) {
        std::string severity = r.value("severity", std::string());
        std::cout << fmt::format("  {:<{}}  {:<7}  {:<8}  {}\n", r.value("name", std::string()),
                                 width, r.value("kind", std::string()),
                                 severity.empty() ? "-" : severity, r.value("mode", std::string()));
      }
    }
  });
}

int Source(const RulesetsOptions& o) {
  return Query(o, "source", "GET",
               "/v1/rulesets/" + Segment(o.name) + "/versions/" + std::to_string(o.version), {},
               [](const rest::HttpResponse& response) {
    // The text itself, or a JSON object carrying it as "source".
    std::string text = response.body;
    if (response.content_type.starts_with("application/json")) {
      const Json body = ParseJson(response.body);
      if (body.is_object() && body.contains("source") && body["source"].is_string()) {
        text = body["source"].get<std::string>();
      }
    }
    std::cout << text << (text.ends_with('\n') ? "" : "\n");
  });
}

int Deactivate(const RulesetsOptions& o) {
  std::string target = "/v1/rulesets/" + Segment(o.name);
  if (!o.mode.empty()) target += "?mode=" + o.mode;
  return Query(o, "deactivate", "DELETE", target, {}, [&o](const rest::HttpResponse& response) {
    const Json body = ParseJson(response.body);
    const Json modes = body.is_object() ? body.value("deactivated", Json::array()) : Json::array();
    if (modes.empty()) {
      std::cout << o.name << ": nothing was active\n";
      return;
    }
    std::string list;
    for (const Json& m : modes) {
      list += (list.empty() ? "" : ", ") + (m.is_string() ? m.get<std::string>() : m.dump());
    }
    std::cout << o.name << ": deactivated " << list << "\n";
  });
}

int Diff(const RulesetsOptions& o) {
  const std::string target = fmt::format("/v1/rulesets/{}/diff?from={}&to={}", Segment(o.name),
                                         o.from, o.to);
  return Query(o, "diff", "GET", target, {}, [&o](const rest::HttpResponse& response) {
    const Json body = ParseJson(response.body);
    const Json rules = body.is_object() ? body.value("rules", Json::array()) : Json::array();
    std::cout << o.name << " version " << o.from << " -> " << o.to << "\n";
    size_t unchanged = 0;
    for (const Json& r : rules) {
      const std::string change = r.value("change", std::string());
      if (change == "unchanged") {
        ++unchanged;
        continue;
      }
      const char mark = change == "added" ? '+' : change == "removed" ? '-' : '~';
      std::cout << "  " << mark << " " << r.value("rule", std::string()) << " (" << change << ")\n";
    }
    if (unchanged == rules.size()) std::cout << "  no rule differs\n";
    if (unchanged > 0) std::cout << "  " << Plural(unchanged, "rule") << " unchanged\n";
  });
}

// nlohmann/json throws on a value of an unexpected type; a response we cannot
// read is the server's fault, reported like any other failed call.
template <typename Run>
int Guarded(const Run& run, const RulesetsOptions& options) {
  try {
    return run(options);
  } catch (const Json::exception& e) {
    std::cerr << "cep rulesets: unexpected response from the server: " << e.what() << "\n";
    return kExitUserError;
  }
}

void AddClientFlags(CLI::App* sub, ClientFlags& flags) {
  sub->add_option("--url", flags.url, "the service's REST address (default $CEP_URL, else " +
                                           std::string(kDefaultUrl) + ")");
  sub->add_option("--token", flags.token,
                  "bearer token (default $CEP_API_TOKEN, else ./" + std::string(kTokenFile) + ")");
  sub->add_option("--ca-file", flags.ca_file, "https: verify the server against this CA file")
      ->check(CLI::ExistingFile);
  sub->add_flag("--insecure", flags.insecure, "https: do not verify the server's certificate");
  sub->add_flag("--json", flags.json, "print the server's JSON response");
}

}  // namespace

void AddRulesetsCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<RulesetsOptions>();
  CLI::App* command = app.add_subcommand("rulesets", "manage rulesets through the REST API");
  command->require_subcommand(1);
  command->footer(
      "Exit status: 0 on success, 1 when the server refuses or cannot be reached, 2 on bad usage.");
  auto add = [&](const std::string& name, const std::string& description, auto run) {
    CLI::App* sub = command->add_subcommand(name, description);
    AddClientFlags(sub, o->client);
    sub->callback([&action, o, run] { action = [o, run] { return Guarded(run, *o); }; });
    return sub;
  };

  CLI::App* push = add("push", "upload rulesets, each stored as the version its text declares", Push);
  push->add_option("FILE", o->files, "ruleset files")->required();
  CLI::Option* activate_option = push->add_option("--activate", o->activate,
                   "activate each stored version right after: live (the default) or shadow; "
                   "give it after the files or as --activate=MODE")
      ->expected(0, 1)
      ->check(CLI::IsMember({"", "live", "shadow"}));
  push->callback([&action, o, activate_option] {
    if (activate_option->count() > 0 && o->activate.empty()) o->activate = "live";
    action = [o] { return Guarded(Push, *o); };
  });

  CLI::App* validate = add("validate", "compile rulesets on the server without storing them", Validate);
  validate->add_option("FILE", o->files, "ruleset files")->required();

  add("list", "list rulesets, their versions and which are active", List);

  CLI::App* show = add("show", "a ruleset's versions and their rules", Show);
  show->add_option("NAME", o->name, "ruleset name")->required();

  CLI::App* source = add("source", "print the text of a stored version", Source);
  source->add_option("NAME", o->name, "ruleset name")->required();
  source->add_option("VERSION", o->version, "version")->required();

  CLI::App* activate = add("activate", "activate a stored version (hot swap)",
                           [](const RulesetsOptions& options) {
                             Remote remote("activate", options.client);
                             return Activate(remote, options.name, options.version,
                                             options.shadow ? "shadow" : "live");
                           });
  activate->add_option("NAME", o->name, "ruleset name")->required();
  activate->add_option("VERSION", o->version, "version")->required();
  activate->add_flag("--shadow", o->shadow, "activate in shadow mode (alerts to the shadow output)");

  CLI::App* deactivate = add("deactivate", "stop running a ruleset", Deactivate);
  deactivate->add_option("NAME", o->name, "ruleset name")->required();
  deactivate->add_option("--mode", o->mode, "only this mode (default: both)")
      ->check(CLI::IsMember({"live", "shadow"}));

  CLI::App* diff = add("diff", "which rules differ between two stored versions", Diff);
  diff->add_option("NAME", o->name, "ruleset name")->required();
  diff->add_option("FROM", o->from, "version")->required();
  diff->add_option("TO", o->to, "version")->required();
}

}  // namespace api
