// Status: errors as values (status.h).
#include "golivekit/observability/status.h"

#include <doctest/doctest.h>

#include <string>

namespace obs = golivekit::observability;

TEST_SUITE("core") {
  TEST_CASE("status: default is OK") {
    obs::Status s;
    CHECK(s.ok());
    CHECK(s.code() == obs::StatusCode::kOk);
    CHECK(s.message().empty());
    CHECK(s.ToString() == "OK");
  }

  TEST_CASE("status: code and message are kept") {
    obs::Status s(obs::StatusCode::kInvalidArgument, "counter x_total: cannot decrease (Add(-1))");
    CHECK_FALSE(s.ok());
    CHECK(s.code() == obs::StatusCode::kInvalidArgument);
    CHECK(s.message() == "counter x_total: cannot decrease (Add(-1))");
    CHECK(s.ToString() == "INVALID_ARGUMENT: counter x_total: cannot decrease (Add(-1))");
  }

  TEST_CASE("status: code names") {
    CHECK(obs::StatusCodeName(obs::StatusCode::kOk) == "OK");
    CHECK(obs::StatusCodeName(obs::StatusCode::kInvalidArgument) == "INVALID_ARGUMENT");
    CHECK(obs::StatusCodeName(obs::StatusCode::kAlreadyExists) == "ALREADY_EXISTS");
    CHECK(obs::StatusCodeName(obs::StatusCode::kFailedPrecondition) == "FAILED_PRECONDITION");
    CHECK(obs::StatusCodeName(obs::StatusCode::kNotFound) == "NOT_FOUND");
    CHECK(obs::StatusCodeName(obs::StatusCode::kResourceExhausted) == "RESOURCE_EXHAUSTED");
  }

  TEST_CASE("status: shorthands set the right code") {
    CHECK(obs::InvalidArgument("a").code() == obs::StatusCode::kInvalidArgument);
    CHECK(obs::AlreadyExists("b").code() == obs::StatusCode::kAlreadyExists);
    CHECK(obs::FailedPrecondition("c").code() == obs::StatusCode::kFailedPrecondition);
    CHECK(obs::NotFound("d").code() == obs::StatusCode::kNotFound);
    CHECK(obs::ResourceExhausted("e").code() == obs::StatusCode::kResourceExhausted);
    CHECK(obs::NotFound("d").message() == "d");
    CHECK_FALSE(obs::InvalidArgument("a").ok());
    CHECK(obs::AlreadyExists("dup").ToString() == "ALREADY_EXISTS: dup");
    CHECK(obs::FailedPrecondition("p").ToString() == "FAILED_PRECONDITION: p");
    CHECK(obs::NotFound("n").ToString() == "NOT_FOUND: n");
    CHECK(obs::ResourceExhausted("r").ToString() == "RESOURCE_EXHAUSTED: r");
  }

  TEST_CASE("status: equality and copies") {
    obs::Status a = obs::InvalidArgument("bad");
    obs::Status b = a;  // copy shares the representation
    CHECK(a == b);
    CHECK(b.message() == "bad");
    CHECK_FALSE(a == obs::InvalidArgument("other"));
    CHECK_FALSE(a == obs::NotFound("bad"));
    CHECK(obs::Status() == obs::Status());
    CHECK_FALSE(obs::Status() == a);
    obs::Status moved = std::move(b);
    CHECK(moved.code() == obs::StatusCode::kInvalidArgument);
    CHECK(moved.message() == "bad");
  }
}
