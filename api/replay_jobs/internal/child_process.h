#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cep/base/result.h"

namespace api::replay_jobs::internal {

// How a child ended: its exit code, or the signal that killed it.
struct ChildExit {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;      // 0 when it exited
  bool ok() const { return exit_code == 0; }
};

// A child process started with posix_spawn. The child gets: stdin from
// /dev/null, stdout and stderr appended to `log`, an empty signal mask and
// default dispositions for the signals a server catches or blocks (the `cep
// serve` process blocks SIGINT/SIGTERM in every thread, and a spawned child
// inherits the mask), every descriptor above 2 closed (Boost 1.74's Asio sockets
// are not close-on-exec), and its own process group (a Ctrl-C on the server's
// terminal reaches the server, which then cancels its jobs).
//
// Threading: one owner. The destructor SIGKILLs and reaps a child still running.
class ChildProcess {
 public:
  // Runs `binary args...` in `working_dir`; `log` is relative to it. Unavailable
  // with the OS reason when the spawn fails (missing binary, unwritable log).
  static cep::Result<ChildProcess> Spawn(const std::filesystem::path& binary,
                                         const std::vector<std::string>& args,
                                         const std::filesystem::path& working_dir,
                                         const std::filesystem::path& log);
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ~ChildProcess();

  // The exit once it has ended (reaps it), nullopt while it runs. Never blocks.
  std::optional<ChildExit> Poll();
  // Sends `signal` to the child if it has not been reaped.
  void Signal(int signal);
  pid_t pid() const { return pid_; }

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;  // -1 once reaped
};

// The last `max_lines` lines of a text file (at most its last 64 KiB), for errors.
std::string TailOfFile(const std::filesystem::path& path, size_t max_lines);

}  // namespace api::replay_jobs::internal
