#include "api/replay_jobs/internal/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

extern char** environ;

namespace api::replay_jobs::internal {
namespace {

// Frees the spawn attribute objects on every path out of Spawn.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

}  // namespace

cep::Result<ChildProcess> ChildProcess::Spawn(const std::filesystem::path& binary,
                                              const std::vector<std::string>& args,
                                              const std::filesystem::path& working_dir,
                                              const std::filesystem::path& log) {
  SpawnSetup setup;
  // Relative paths in the child's arguments (and so in its messages) name files of
  // its job directory, not the server's layout.
  int rc = posix_spawn_file_actions_addchdir_np(&setup.actions, working_dir.c_str());
  if (rc == 0) rc = posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (rc == 0) {
    rc = posix_spawn_file_actions_addopen(&setup.actions, STDOUT_FILENO, log.c_str(),
                                          O_WRONLY | O_CREAT | O_APPEND, 0644);
  }
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&setup.actions, STDOUT_FILENO, STDERR_FILENO);
  // Whatever the server has open (listening sockets, Kafka connections, RocksDB
  // files) stays with the server.
  if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3);
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2, SIGCHLD}) {
    sigaddset(&defaults, sig);
  }
  if (rc == 0) rc = posix_spawnattr_setsigmask(&setup.attr, &empty);
  if (rc == 0) rc = posix_spawnattr_setsigdefault(&setup.attr, &defaults);
  if (rc == 0) rc = posix_spawnattr_setpgroup(&setup.attr, 0);
  if (rc == 0) {
    rc = posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                                   POSIX_SPAWN_SETPGROUP);
  }
  if (rc != 0) return cep::Internal(std::string("preparing posix_spawn: ") + std::strerror(rc));

  std::vector<char*> argv;
  std::string program = binary.string();
  argv.push_back(program.data());
  std::vector<std::string> copies = args;  // posix_spawn takes char* const[]
  for (std::string& arg : copies) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  rc = posix_spawn(&pid, program.c_str(), &setup.actions, &setup.attr, argv.data(), environ);
  if (rc != 0) {
    return cep::Unavailable("cannot start '" + program + "' in '" + working_dir.string() +
                            "': " + std::strerror(rc));
  }
  return ChildProcess(pid);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept : pid_(other.pid_) { other.pid_ = -1; }

ChildProcess::~ChildProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

std::optional<ChildExit> ChildProcess::Poll() {
  if (pid_ <= 0) return ChildExit{};
  int status = 0;
  pid_t got = ::waitpid(pid_, &status, WNOHANG);
  while (got < 0 && errno == EINTR) got = ::waitpid(pid_, &status, WNOHANG);
  if (got == 0) return std::nullopt;
  pid_ = -1;
  if (got < 0) return ChildExit{};  // ECHILD: someone else reaped it; unknown end
  if (WIFEXITED(status)) return ChildExit{WEXITSTATUS(status), 0};
  return ChildExit{-1, WIFSIGNALED(status) ? WTERMSIG(status) : 0};
}

void ChildProcess::Signal(int signal) {
  if (pid_ > 0) ::kill(pid_, signal);
}

std::string TailOfFile(const std::filesystem::path& path, size_t max_lines) {
  constexpr std::streamoff kMaxBytes = 64 * 1024;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return {};
  const std::streamoff size = in.tellg();
  const std::streamoff from = size > kMaxBytes ? size - kMaxBytes : 0;
  in.seekg(from);
  std::string text(static_cast<size_t>(size - from), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  size_t start = text.size();
  size_t lines = 0;
  while (start > 0) {
    const size_t newline = text.rfind('\n', start - 1);
    if (newline == std::string::npos) {
      start = 0;
      break;
    }
    if (++lines >= max_lines) {
      start = newline + 1;
      break;
    }
    start = newline;
  }
  return text.substr(start);
}

}  // namespace api::replay_jobs::internal
