#pragma once

// The real `cep` binary as a child process, for tests that run it the way
// users do: its stdout on a pipe, its stderr to a file (or inherited), signals.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace engine::kafka::testing {

// A running `cep` (CEP_CLI_BINARY, defined by the test target). Killed with
// SIGKILL if still running when destroyed.
class CepProcess {
 public:
  // `stderr_path`: append the child's stderr to this file; empty: inherit.
  explicit CepProcess(const std::vector<std::string>& args, const std::string& stderr_path = {});
  ~CepProcess();
  CepProcess(const CepProcess&) = delete;
  CepProcess& operator=(const CepProcess&) = delete;

  bool started() const { return pid_ > 0; }

  // The next line of stdout, without '\n'; empty if none came within `limit`.
  std::string ReadLine(std::chrono::milliseconds limit);
  // Everything left on stdout until it closes (the process ended).
  std::string ReadRest();

  void Signal(int signal);
  // The exit code, or -1 if it did not exit normally within `limit` (a signal
  // ended it, or it is still running).
  int Wait(std::chrono::milliseconds limit);

 private:
  pid_t pid_ = -1;
  int out_ = -1;
};

}  // namespace engine::kafka::testing
