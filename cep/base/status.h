#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace cep {

// What kind of failure a Status carries. Callers branch on the code, people read
// the message. kUnavailable and kDeadlineExceeded are the retryable ones: a broker
// or disk hiccup that backing off and trying again may cure.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // the caller's input is wrong (bad rule text, bad event)
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,  // the system is not in a state to do this
  kOutOfRange,
  kResourceExhausted,   // a cap was hit (queue, state size, input size)
  kUnavailable,         // retryable: broker down, disk busy
  kDeadlineExceeded,    // retryable: a time budget ran out
  kDataLoss,            // stored bytes are corrupt or missing
  kCancelled,
  kUnimplemented,
  kInternal,            // a bug of ours surfaced as a value (prefer CHECK)
};

std::string_view StatusCodeName(StatusCode code);

// The result of an operation that can fail for expected reasons (bad input,
// broker timeouts, full disks). Cheap to return when ok; the message is only
// allocated on failure. Thread story: a value type, safe to copy across threads.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  bool IsRetryable() const {
    return code_ == StatusCode::kUnavailable || code_ == StatusCode::kDeadlineExceeded;
  }

  // Prefixes the message with where it happened: "reading foo.jsonl: line 3: ...".
  Status WithContext(std::string_view context) const;

  // "INVALID_ARGUMENT: message", or "OK".
  std::string ToString() const;

  friend bool operator==(const Status&, const Status&) = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string message) {
  return {StatusCode::kInvalidArgument, std::move(message)};
}
inline Status NotFound(std::string message) { return {StatusCode::kNotFound, std::move(message)}; }
inline Status FailedPrecondition(std::string message) {
  return {StatusCode::kFailedPrecondition, std::move(message)};
}
inline Status OutOfRange(std::string message) {
  return {StatusCode::kOutOfRange, std::move(message)};
}
inline Status ResourceExhausted(std::string message) {
  return {StatusCode::kResourceExhausted, std::move(message)};
}
inline Status Unavailable(std::string message) {
  return {StatusCode::kUnavailable, std::move(message)};
}
inline Status DeadlineExceeded(std::string message) {
  return {StatusCode::kDeadlineExceeded, std::move(message)};
}
inline Status DataLoss(std::string message) { return {StatusCode::kDataLoss, std::move(message)}; }
inline Status Unimplemented(std::string message) {
  return {StatusCode::kUnimplemented, std::move(message)};
}
inline Status Internal(std::string message) { return {StatusCode::kInternal, std::move(message)}; }

}  // namespace cep

// Returns the Status of `expr` from the enclosing function if it is not ok.
#define RETURN_IF_ERROR(expr)                  \
  do {                                         \
    ::cep::Status cep_status_ = (expr);        \
    if (!cep_status_.ok()) return cep_status_; \
  } while (false)
