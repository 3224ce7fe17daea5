#pragma once
/// \file
/// \brief Errors as values: the error policy of the whole library.
///
/// No function of this library throws, and none aborts on bad input. Every operation that can fail on
/// caller input returns a `Status` (or carries one, as an invalid metric or label handle does), so the
/// library works unchanged when built without exceptions (the WebAssembly target). The policy:
///
/// - Construction (`NewCounter`, `NewRegistry`, …) always returns an object. If the options are invalid,
///   the object is *inert*: `status()` says why, updates do nothing, and `Registry::Register` refuses it
///   with that same error, so the mistake surfaces at the latest when it is registered.
/// - `WithLabels` with a wrong number of values (or invalid UTF-8) returns an inert child handle whose
///   `status()` says why; updates through it do nothing.
/// - Value-checking updates (`Counter::Add` with a negative or NaN delta) return the error and leave the
///   value unchanged.
///
/// Thread-safety: `Status` is an immutable value; copies may be used from any thread.
#include <initializer_list>
#include <string>
#include <string_view>

namespace golivekit::observability {

enum class StatusCode;
class Status;
// Internal (core/src/message.h): the friend of Status that builds error messages.
namespace detail {
class MessageArg;
Status Fail(StatusCode code, const char* pattern, std::initializer_list<MessageArg> args);
}  // namespace detail

/// What kind of failure a `Status` reports.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     ///< a bad name, label, value or option
  kAlreadyExists,       ///< the same collector, or another one with the same name, is registered
  kFailedPrecondition,  ///< the object is inert or in the wrong state for the call
  kNotFound,            ///< nothing matched (Delete of a series that does not exist)
  kResourceExhausted,   ///< a configured limit was reached
};

/// The result of an operation: OK, or a code with a human-readable message that names the metric and
/// the offending input. Cheap to copy: an OK status is a null pointer.
class Status {
 public:
  /// OK.
  Status() noexcept = default;
  Status(StatusCode code, std::string message);
  Status(const Status& other) noexcept;
  Status(Status&& other) noexcept : rep_(other.rep_) { other.rep_ = nullptr; }
  Status& operator=(const Status& other) noexcept;
  Status& operator=(Status&& other) noexcept;
  ~Status() {
    if (rep_ != nullptr) Unref(rep_);
  }

  [[nodiscard]] bool ok() const noexcept { return rep_ == nullptr; }
  [[nodiscard]] StatusCode code() const noexcept;
  /// The message alone; empty when OK.
  [[nodiscard]] const std::string& message() const noexcept;
  /// "OK" or "<CODE>: <message>", e.g. "INVALID_ARGUMENT: counter x_total: cannot decrease (Add(-1))".
  [[nodiscard]] std::string ToString() const;

  friend bool operator==(const Status& a, const Status& b) noexcept {
    return a.code() == b.code() && a.message() == b.message();
  }

 private:
  // Shared by copies, with an atomic count: copying an error never copies its message. Out of line, so
  // that the many places a Status is passed on stay small.
  struct Rep;
  static void Unref(Rep* rep) noexcept;
  // Writes its message straight into a new Rep: no string moved in from outside.
  friend Status detail::Fail(StatusCode code, const char* pattern,
                             std::initializer_list<detail::MessageArg> args);
  Rep* rep_ = nullptr;
};

/// Shorthands used across the library.
Status InvalidArgument(std::string message);
Status AlreadyExists(std::string message);
Status FailedPrecondition(std::string message);
Status NotFound(std::string message);
Status ResourceExhausted(std::string message);

/// The name of a code, e.g. "INVALID_ARGUMENT".
std::string_view StatusCodeName(StatusCode code) noexcept;

}  // namespace golivekit::observability
