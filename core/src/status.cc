#include "golivekit/observability/status.h"

#include <atomic>
#include <cstdint>
#include <utility>

#include "exposition/put_uint.h"
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

namespace {
// At namespace scope rather than a function's static: all zero bytes, so no guard is checked per call
// and no constructor runs for it.
const std::string kEmptyMessage;
}  // namespace

const std::string& Status::message() const noexcept { return rep_ ? rep_->message : kEmptyMessage; }

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s;
  detail::Substitute(s, "{}: {}", {StatusCodeName(code()), message()});
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

// Numbers are written into one buffer and text is taken as a view, so that every kind ends in the same
// append of a run of bytes.
void MessageArg::AppendTo(std::string& out) const {
  std::string_view text = kind_ == kString ? std::string_view(*string_) : view_;
  char buf[kMaxFloatChars];
  if (kind_ == kFloat) {
    text = {buf, static_cast<std::size_t>(FormatFloatTo(buf, float_) - buf)};
  } else if (kind_ != kString && kind_ != kView) {
    const bool negative = kind_ == kSigned && static_cast<std::int64_t>(integer_) < 0;
    buf[0] = '-';
    text = {buf, static_cast<std::size_t>(PutUint(buf + negative, negative ? 0 - integer_ : integer_) - buf)};
  }
  out.append(text.data(), text.size());
}

// The text between arguments is appended a run at a time, not a character at a time.
void Substitute(std::string& out, const char* pattern, std::initializer_list<MessageArg> args) {
  const MessageArg* next = args.begin();
  for (const char* p = pattern;; p += 2) {
    const char* q = p;
    while (*q != '\0' && !(q[0] == '{' && q[1] == '}' && next != args.end())) ++q;
    out.append(p, static_cast<std::size_t>(q - p));
    if (*q == '\0') return;
    (next++)->AppendTo(out);
    p = q;
  }
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
  Status s;
  s.rep_ = new Status::Rep{{1}, code, {}};
  Substitute(s.rep_->message, pattern, args);
  return s;
}

}  // namespace detail
}  // namespace golivekit::observability
