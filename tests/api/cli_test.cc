#include "api/cli/cli.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace api {
namespace {

struct CliRun {
  int exit_code;
  std::string out;
  std::string err;
};

CliRun Cep(std::vector<const char*> args) {
  args.insert(args.begin(), "cep");
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  const int code = RunCli(static_cast<int>(args.size()), args.data());
  CliRun run{code, testing::internal::GetCapturedStdout(), testing::internal::GetCapturedStderr()};
  return run;
}

// Every subcommand of INTERFACES.md, "One binary: cep".
const char* const kInterfaceCommands[] = {"serve",    "check",     "replay", "gen", "bench",
                                          "broker",   "rulesets",  "savepoint", "demo"};

TEST(CliTest, HelpListsEveryCommandOfTheInterface) {
  CliRun run = Cep({"--help"});
  EXPECT_EQ(run.exit_code, kExitOk);
  for (const char* command : kInterfaceCommands) {
    EXPECT_NE(run.out.find(std::string("  ") + command), std::string::npos) << command;
  }
}

TEST(CliTest, VersionPrintsTheVersion) {
  CliRun run = Cep({"--version"});
  EXPECT_EQ(run.exit_code, kExitOk);
  EXPECT_EQ(run.out.rfind("cep ", 0), 0u) << run.out;
}

TEST(CliTest, EveryCommandHasHelp) {
  for (const char* command : kInterfaceCommands) {
    CliRun run = Cep({command, "--help"});
    EXPECT_EQ(run.exit_code, kExitOk) << command;
    EXPECT_NE(run.out.find(command), std::string::npos) << command;
  }
  EXPECT_EQ(Cep({"rulesets", "push", "--help"}).exit_code, kExitOk);
}

TEST(CliTest, UnbuiltCommandsSaySoAndExitTwo) {
  CliRun run = Cep({"serve", "--config", "cep.yaml"});
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_NE(run.err.find("cep serve: not built yet (planned in issue #4)"), std::string::npos)
      << run.err;
  run = Cep({"savepoint", "create"});
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_NE(run.err.find("cep savepoint create: not built yet"), std::string::npos) << run.err;
}

TEST(CliTest, BadUsageExitsTwoWithAMessage) {
  CliRun none = Cep({});
  EXPECT_EQ(none.exit_code, kExitUsage);
  EXPECT_FALSE(none.err.empty());
  CliRun unknown = Cep({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, kExitUsage);
  EXPECT_FALSE(unknown.err.empty());
  CliRun bad_level = Cep({"--log-level", "loud", "check"});
  EXPECT_EQ(bad_level.exit_code, kExitUsage);
  EXPECT_EQ(Cep({"rulesets"}).exit_code, kExitUsage);  // needs push|list|activate|diff
}

}  // namespace
}  // namespace api
