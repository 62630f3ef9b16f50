#include "api/cli/shutdown.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <cstdlib>
#include <thread>

namespace api {

struct ShutdownSignal::Watcher {
  sigset_t mask{};
  sigset_t previous{};
  std::atomic<int> signal{0};
  std::thread thread;
};

ShutdownSignal::ShutdownSignal() : watcher_(new Watcher) {
  sigemptyset(&watcher_->mask);
  sigaddset(&watcher_->mask, SIGINT);
  sigaddset(&watcher_->mask, SIGTERM);
  // SIGUSR1 only wakes the watcher when the command ends without a signal.
  sigaddset(&watcher_->mask, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &watcher_->mask, &watcher_->previous);
  watcher_->thread = std::thread([w = watcher_, source = source_]() mutable {
    for (;;) {
      int received = 0;
      if (sigwait(&w->mask, &received) != 0) continue;
      if (received == SIGUSR1) return;
      if (w->signal.exchange(received) != 0) _exit(128 + received);  // second signal: give up
      source.request_stop();
    }
  });
}

ShutdownSignal::~ShutdownSignal() {
  pthread_kill(watcher_->thread.native_handle(), SIGUSR1);
  watcher_->thread.join();
  pthread_sigmask(SIG_SETMASK, &watcher_->previous, nullptr);
  delete watcher_;
}

bool ShutdownSignal::WaitFor(std::chrono::milliseconds timeout) const {
  std::mutex mutex;
  std::condition_variable_any woken;
  std::unique_lock lock(mutex);
  std::stop_token stop = token();
  woken.wait_for(lock, stop, timeout, [] { return false; });
  return stop.stop_requested();
}

int ShutdownSignal::signal() const { return watcher_->signal.load(); }

}  // namespace api
