#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "api/cli/cli.h"
#include "api/cli/command.h"
#include "rules/compiler.h"

namespace api {
namespace {

// Compiles each file completely (parse, check, regexes, NFA), as activation
// would, so "ok" here means the service would accept the ruleset.
int RunCheck(const std::vector<std::string>& files) {
  int exit_code = kExitOk;
  for (const std::string& file : files) {
    std::ifstream in(file);
    if (!in) {
      std::cerr << file << ": cannot read the file\n";
      exit_code = kExitUserError;
      continue;
    }
    std::stringstream text;
    text << in.rdbuf();
    const std::string source = text.str();
    auto compiled = rules::CompileRuleset(source);
    if (!compiled) {
      std::cerr << rules::FormatDiagnostics(file, source, compiled.error());
      std::cerr << file << ": " << compiled.error().size() << " error"
                << (compiled.error().size() == 1 ? "" : "s") << "\n";
      exit_code = kExitUserError;
      continue;
    }
    const auto& program = *compiled->program;
    std::cout << file << ": ok, ruleset " << program.ruleset << " version " << program.version
              << ", " << program.rules.size() << " rule" << (program.rules.size() == 1 ? "" : "s")
              << "\n";
  }
  return exit_code;
}

}  // namespace

void AddCheckCommand(CLI::App& app, Action& action) {
  CLI::App* command = app.add_subcommand(
      "check", "parse and type-check rulesets; errors as file:line:col with the line and a caret");
  auto files = std::make_shared<std::vector<std::string>>();
  command->add_option("RULES", *files, "ruleset files")->required();
  command->footer("Exit status: 0 when every file compiles, 1 when any has an error.");
  command->callback([&action, files] { action = [files] { return RunCheck(*files); }; });
}

}  // namespace api
