// `cep broker` as users run it: the real binary, a pipe for its stdout, signals.
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "engine/kafka/consumer.h"
#include "engine/kafka/producer.h"
#include "tests/engine/kafka/kafka_test_util.h"

extern char** environ;

namespace engine::kafka {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// A running `cep` with its stdout on a pipe. Killed if the test ends early.
class CepProcess {
 public:
  explicit CepProcess(const std::vector<std::string>& args) {
    int fds[2];
    if (pipe(fds) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>("cep"));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, CEP_CLI_BINARY, &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    out_ = fds[0];
  }
  ~CepProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) close(out_);
  }
  CepProcess(const CepProcess&) = delete;
  CepProcess& operator=(const CepProcess&) = delete;

  bool started() const { return pid_ > 0; }

  // The first line of stdout, without '\n'; empty if none came within `limit`.
  std::string ReadLine(milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    std::string line;
    char c = 0;
    while (Clock::now() < deadline) {
      pollfd p{out_, POLLIN, 0};
      const auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now());
      if (poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0))) <= 0) continue;
      if (read(out_, &c, 1) != 1) break;
      if (c == '\n') return line;
      line += c;
    }
    return {};
  }

  // Everything left on stdout until it closes (the process ended).
  std::string ReadRest() {
    std::string rest;
    char buffer[256];
    for (ssize_t n; (n = read(out_, buffer, sizeof buffer)) > 0;) {
      rest.append(buffer, static_cast<size_t>(n));
    }
    return rest;
  }

  void Signal(int signal) { kill(pid_, signal); }

  // The exit code, or -1 if it did not exit normally within `limit`.
  int Wait(milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    for (;;) {
      int status = 0;
      const pid_t done = waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      if (Clock::now() >= deadline) return -1;
      std::this_thread::sleep_for(milliseconds(10));  // polling waitpid, bounded by the deadline
    }
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
};

TEST(KafkaBrokerCommandTest, ServesClientsUntilSigterm) {
  CepProcess cep({"broker", "--partitions", "2", "--topic", "orders", "--topic", "refunds"});
  ASSERT_TRUE(cep.started());
  const std::string line = cep.ReadLine(seconds(30));
  const std::string prefix = "bootstrap: 127.0.0.1:";
  ASSERT_EQ(line.rfind(prefix, 0), 0u) << line;
  const std::string bootstrap = line.substr(std::string("bootstrap: ").size());

  auto producer = Producer::Create({.bootstrap = bootstrap});
  ASSERT_TRUE(producer) << producer.error().ToString();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE((*producer)->Produce("orders", "k" + std::to_string(i), "order").ok());
  }
  ASSERT_TRUE((*producer)->Flush(seconds(30)).ok());
  EXPECT_EQ((*producer)->delivered(), 10u);

  auto consumer = Consumer::Create({.bootstrap = bootstrap, .group_id = "cli", .topics = {"orders"}});
  ASSERT_TRUE(consumer) << consumer.error().ToString();
  EXPECT_EQ(testing::ConsumeAtLeast(**consumer, 10, /*until_end=*/true).size(), 10u);
  EXPECT_EQ((*consumer)->assignment().size(), 2u) << "--partitions 2";
  (*consumer)->Close();

  cep.Signal(SIGTERM);
  EXPECT_EQ(cep.Wait(seconds(30)), 0);
  EXPECT_EQ(cep.ReadRest(), "") << "stdout carries the bootstrap line only";
}

TEST(KafkaBrokerCommandTest, ChosenPortIsTheBootstrap) {
  const uint16_t port = testing::FreeLoopbackPort();
  CepProcess cep({"broker", "--port", std::to_string(port), "--topic", "t"});
  ASSERT_TRUE(cep.started());
  EXPECT_EQ(cep.ReadLine(seconds(30)), "bootstrap: 127.0.0.1:" + std::to_string(port));
  cep.Signal(SIGINT);
  EXPECT_EQ(cep.Wait(seconds(30)), 0);
}

TEST(KafkaBrokerCommandTest, BadUsageExitsWithTwo) {
  CepProcess zero_brokers({"broker", "--brokers", "0"});
  ASSERT_TRUE(zero_brokers.started());
  EXPECT_EQ(zero_brokers.Wait(seconds(30)), 2);
  CepProcess bad_topic({"broker", "--topic", "no spaces"});
  ASSERT_TRUE(bad_topic.started());
  EXPECT_EQ(bad_topic.Wait(seconds(30)), 2);
}

TEST(KafkaBrokerCommandTest, HelpDescribesTheCommand) {
  CepProcess help({"broker", "--help"});
  ASSERT_TRUE(help.started());
  EXPECT_EQ(help.Wait(seconds(30)), 0);
  const std::string text = help.ReadRest();
  for (const char* expected : {"--port", "--partitions", "--brokers", "--topic", "bootstrap:",
                               "SIGTERM"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
}

}  // namespace
}  // namespace engine::kafka
