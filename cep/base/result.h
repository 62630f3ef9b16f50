#pragma once

#include <type_traits>
#include <utility>
#include <variant>

#include "cep/base/check.h"
#include "cep/base/status.h"

namespace cep {

// Wraps an error value to build a failed Result when T and E could be confused,
// like C++23 std::unexpected.
template <typename E>
struct Unexpected {
  explicit Unexpected(E e) : error(std::move(e)) {}
  E error;
};
template <typename E>
Unexpected(E) -> Unexpected<E>;

// Either a value of T or an error of E: shaped like C++23 std::expected (has_value,
// value, error, operator*, operator->) so moving to it later is a rename.
// Reading the wrong alternative is a bug and CHECK-fails.
template <typename T, typename E = Status>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::remove_cvref_t<T>, std::remove_cvref_t<E>>,
                "Result<T, E> needs distinct T and E");

 public:
  using value_type = T;
  using error_type = E;

  template <typename U = T>
    requires(std::is_constructible_v<T, U &&> &&
             !std::is_same_v<std::remove_cvref_t<U>, Result> &&
             !std::is_same_v<std::remove_cvref_t<U>, E>)
  Result(U&& value) : storage_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT

  // A failed Result from an error. For E = Status the error must not be ok.
  Result(const E& error) : storage_(std::in_place_index<1>, error) { CheckError(); }  // NOLINT
  Result(E&& error) : storage_(std::in_place_index<1>, std::move(error)) {  // NOLINT
    CheckError();
  }
  template <typename G>
  Result(Unexpected<G> unexpected)  // NOLINT
      : storage_(std::in_place_index<1>, std::move(unexpected.error)) {
    CheckError();
  }

  bool has_value() const { return storage_.index() == 0; }
  bool ok() const { return has_value(); }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    CHECK(has_value(), "value() of a failed Result");
    return *std::get_if<0>(&storage_);
  }
  const T& value() const& {
    CHECK(has_value(), "value() of a failed Result");
    return *std::get_if<0>(&storage_);
  }
  T&& value() && {
    CHECK(has_value(), "value() of a failed Result");
    return std::move(*std::get_if<0>(&storage_));
  }
  const E& error() const& {
    CHECK(!has_value(), "error() of a successful Result");
    return *std::get_if<1>(&storage_);
  }
  E&& error() && {
    CHECK(!has_value(), "error() of a successful Result");
    return std::move(*std::get_if<1>(&storage_));
  }
  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  void CheckError() const {
    if constexpr (std::is_same_v<E, Status>) {
      CHECK(!std::get_if<1>(&storage_)->ok(), "a failed Result needs a non-ok Status");
    }
  }

  std::variant<T, E> storage_;
};

}  // namespace cep

#define CEP_CONCAT_INNER_(a, b) a##b
#define CEP_CONCAT_(a, b) CEP_CONCAT_INNER_(a, b)

// ASSIGN_OR_RETURN(lhs, expr): evaluates `expr` (a Result); on failure returns its
// error from the enclosing function, otherwise moves the value into `lhs`, which
// may be a declaration: ASSIGN_OR_RETURN(auto rows, ReadRows(path));
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(CEP_CONCAT_(cep_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(result, lhs, expr)           \
  auto result = (expr);                                     \
  if (!result.has_value()) return std::move(result).error(); \
  lhs = std::move(result).value()
