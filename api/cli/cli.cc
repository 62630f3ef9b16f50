#include "api/cli/cli.h"

#include "api/cli/command.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace api {
namespace {

// A subcommand of INTERFACES.md that is not built yet, and the issue building it.
struct PlannedCommand {
  std::string name;
  std::string description;
  int issue;
  std::vector<std::pair<std::string, std::string>> children;  // name, description
};

std::vector<PlannedCommand> PlannedCommands() {
  return {};  // every command of INTERFACES.md is built
}

int NotBuiltYet(const std::string& command, int issue) {
  std::cerr << "cep " << command << ": not built yet (planned in issue #" << issue
            << "). See 'cep --help' for what works today.\n";
  return kExitUsage;
}

// Registers a planned command so that it shows in --help and answers plainly
// instead of failing on its (not yet declared) options.
void AddPlanned(CLI::App& app, const PlannedCommand& planned, Action& action) {
  CLI::App* command = app.add_subcommand(planned.name, planned.description);
  command->group("Commands (not built yet)");
  command->allow_extras();
  if (planned.children.empty()) {
    command->callback([&action, planned] {
      action = [planned] { return NotBuiltYet(planned.name, planned.issue); };
    });
    return;
  }
  command->require_subcommand(1);
  for (const auto& [child, description] : planned.children) {
    CLI::App* sub = command->add_subcommand(child, description);
    sub->allow_extras();
    const std::string full = planned.name + " " + child;
    sub->callback([&action, full, issue = planned.issue] {
      action = [full, issue] { return NotBuiltYet(full, issue); };
    });
  }
}

void SetLogLevel(const std::string& level) {
  // Logs go to stderr: stdout carries what a command outputs (alerts, the
  // broker's address), so scripts can read it.
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "cep", std::make_shared<spdlog::sinks::stderr_color_sink_mt>()));
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace

int RunCli(int argc, const char* const* argv) {
  CLI::App app{"cep: complex-event processing and fraud detection over transaction streams",
               "cep"};
  app.set_version_flag("--version", std::string("cep ") + CEP_VERSION);
  app.require_subcommand(1);
  app.footer("Run 'cep COMMAND --help' for a command's options.");

  std::string log_level = "info";
  app.add_option("--log-level", log_level, "log verbosity")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();

  Action action;
  AddCheckCommand(app, action);
  AddReplayCommand(app, action);
  AddServeCommand(app, action);
  AddDemoCommand(app, action);
  AddGenCommand(app, action);
  AddBrokerCommand(app, action);
  AddBenchCommand(app, action);
  AddSavepointCommand(app, action);
  AddRulesetsCommand(app, action);
  for (const PlannedCommand& planned : PlannedCommands()) AddPlanned(app, planned, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version arrive here as "errors" with exit code 0.
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  SetLogLevel(log_level);
  return action ? action() : kExitUsage;
}

}  // namespace api
