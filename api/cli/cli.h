#pragma once

namespace api {

// Exit codes of every `cep` command (INTERFACES.md): 0 success, 1 a user error
// (bad rules, unreadable input; a message on stderr), 2 bad usage.
inline constexpr int kExitOk = 0;
inline constexpr int kExitUserError = 1;
inline constexpr int kExitUsage = 2;

// Parses the command line and runs one `cep` subcommand; returns the exit code.
// Never calls exit(), so tests can run it in-process. Help and errors go to
// stdout and stderr. Threading: call from one thread at a time.
int RunCli(int argc, const char* const* argv);

}  // namespace api
