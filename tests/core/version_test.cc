// The generated version header (core/include/golivekit/observability/version.h.in): the string and
// its parts agree.
#include "golivekit/observability/version.h"

#include <doctest/doctest.h>

#include <string>

namespace obs = golivekit::observability;

TEST_SUITE("version") {
  TEST_CASE("version: kVersion is MAJOR.MINOR.PATCH of the generated macros") {
    const std::string parts = std::to_string(GLK_OBS_VERSION_MAJOR) + "." +
                              std::to_string(GLK_OBS_VERSION_MINOR) + "." +
                              std::to_string(GLK_OBS_VERSION_PATCH);
    CHECK(obs::kVersion == parts);
    CHECK(obs::kVersion == GLK_OBS_VERSION);
  }
}
