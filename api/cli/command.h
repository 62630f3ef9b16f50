#pragma once

#include <functional>

namespace CLI {
class App;
}  // namespace CLI

namespace api {

// What a parsed command line asks for; run after parsing and logging set-up.
// Returns the exit code (api/cli/cli.h).
using Action = std::function<int()>;

// Each built command registers itself on the `cep` app: its options, its help,
// and a callback that sets `action` when the command is chosen.
void AddCheckCommand(CLI::App& app, Action& action);
void AddReplayCommand(CLI::App& app, Action& action);
void AddGenCommand(CLI::App& app, Action& action);
void AddBrokerCommand(CLI::App& app, Action& action);
void AddServeCommand(CLI::App& app, Action& action);
void AddDemoCommand(CLI::App& app, Action& action);
void AddBenchCommand(CLI::App& app, Action& action);
void AddSavepointCommand(CLI::App& app, Action& action);
void AddRulesetsCommand(CLI::App& app, Action& action);

}  // namespace api
