#include "golivekit/observability/status.h"

#include <atomic>
#include <cstdint>
#include <utility>

namespace golivekit::observability {

struct Status::Rep {
  std::atomic<std::uint32_t> refs;
  StatusCode code;
  std::string message;
};

Status::Status(StatusCode code, std::string message) {
  if (code != StatusCode::kOk) rep_ = new Rep{{1}, code, std::move(message)};
}

Status::Status(const Status& other) noexcept : rep_(other.rep_) {
  if (rep_ != nullptr) rep_->refs.fetch_add(1, std::memory_order_relaxed);
}

Status& Status::operator=(const Status& other) noexcept {
  Status copy(other);
  std::swap(rep_, copy.rep_);
  return *this;
}

Status& Status::operator=(Status&& other) noexcept {
  std::swap(rep_, other.rep_);
  return *this;
}

void Status::Unref(Rep* rep) noexcept {
  if (rep->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete rep;
}

StatusCode Status::code() const noexcept { return rep_ ? rep_->code : StatusCode::kOk; }

const std::string& Status::message() const noexcept {
  static const std::string kEmpty;
  return rep_ ? rep_->message : kEmpty;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s(StatusCodeName(code()));
  s += ": ";
  s += message();
  return s;
}

std::string_view StatusCodeName(StatusCode code) noexcept {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case StatusCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case StatusCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case StatusCode::kNotFound:
      return "NOT_FOUND";
    case StatusCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
  }
  return "UNKNOWN";
}

Status InvalidArgument(std::string message) { return {StatusCode::kInvalidArgument, std::move(message)}; }
Status AlreadyExists(std::string message) { return {StatusCode::kAlreadyExists, std::move(message)}; }
Status FailedPrecondition(std::string message) {
  return {StatusCode::kFailedPrecondition, std::move(message)};
}
Status NotFound(std::string message) { return {StatusCode::kNotFound, std::move(message)}; }
Status ResourceExhausted(std::string message) { return {StatusCode::kResourceExhausted, std::move(message)}; }

}  // namespace golivekit::observability
