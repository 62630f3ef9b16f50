#include "tests/engine/kafka/cep_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

extern char** environ;

namespace engine::kafka::testing {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

CepProcess::CepProcess(const std::vector<std::string>& args, const std::string& stderr_path) {
  int fds[2];
  if (pipe(fds) != 0) return;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  if (!stderr_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
  }
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>("cep"));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  if (posix_spawn(&pid_, CEP_CLI_BINARY, &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  out_ = fds[0];
}

CepProcess::~CepProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_ >= 0) close(out_);
}

std::string CepProcess::ReadLine(milliseconds limit) {
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

std::string CepProcess::ReadRest() {
  std::string rest;
  char buffer[256];
  for (ssize_t n; (n = read(out_, buffer, sizeof buffer)) > 0;) {
    rest.append(buffer, static_cast<size_t>(n));
  }
  return rest;
}

void CepProcess::Signal(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

int CepProcess::Wait(milliseconds limit) {
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

}  // namespace engine::kafka::testing
