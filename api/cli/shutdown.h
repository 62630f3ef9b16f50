#pragma once

#include <chrono>
#include <stop_token>

namespace api {

// Graceful shutdown on SIGINT and SIGTERM for long-running commands (serve,
// broker, demo, gen to Kafka).
//
// Construct it first thing in the command, before any thread starts: it blocks
// both signals in the calling thread, so every thread started afterwards
// inherits the mask and the signals reach only the watcher thread, which turns
// the first one into token().stop_requested(). A second signal while stopping
// exits at once (the user insists). The destructor restores the mask.
class ShutdownSignal {
 public:
  ShutdownSignal();
  ~ShutdownSignal();
  ShutdownSignal(const ShutdownSignal&) = delete;
  ShutdownSignal& operator=(const ShutdownSignal&) = delete;

  std::stop_token token() const { return source_.get_token(); }
  // Stops as a signal would (tests, and commands that end on their own).
  void RequestStop() { source_.request_stop(); }
  // Waits until a stop is requested or `timeout` passes; true when stopping.
  bool WaitFor(std::chrono::milliseconds timeout) const;
  // The signal that asked for the stop, 0 if none did.
  int signal() const;

 private:
  struct Watcher;
  std::stop_source source_;
  Watcher* watcher_;
};

}  // namespace api
