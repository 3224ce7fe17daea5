#include "golivekit/observability/status.h"

#include <atomic>
#include <cstdint>
#include <utility>

#include "golivekit/observability/encode.h"
#include "message.h"

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

namespace detail {

void MessageArg::AppendTo(std::string& out) const {
  switch (kind_) {
    case kString:
      out += *string_;
      break;
    case kView:
      out += view_;
      break;
    case kUnsigned:
    case kSigned: {
      const bool negative = kind_ == kSigned && static_cast<std::int64_t>(integer_) < 0;
      std::uint64_t v = negative ? 0 - integer_ : integer_;
      char digits[20];
      std::size_t n = 0;
      do {
        digits[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
      } while (v != 0);
      if (negative) out += '-';
      while (n > 0) out += digits[--n];
      break;
    }
    case kFloat:
      AppendFloat(out, float_);
      break;
  }
}

std::string Substitute(const char* pattern, std::initializer_list<MessageArg> args) {
  std::string out;
  const MessageArg* next = args.begin();
  for (const char* p = pattern; *p != '\0'; ++p) {
    if (p[0] == '{' && p[1] == '}' && next != args.end()) {
      (next++)->AppendTo(out);
      ++p;
    } else {
      out += *p;
    }
  }
  return out;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string s = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) s += ", ";
    s += names[i];
  }
  s += '}';
  return s;
}

Status Fail(StatusCode code, const char* pattern, std::initializer_list<MessageArg> args) {
  return {code, Substitute(pattern, args)};
}

}  // namespace detail
}  // namespace golivekit::observability
