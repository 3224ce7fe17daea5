#pragma once
// Shared by the libFuzzer targets of tests/fuzz: a property check that aborts (so libFuzzer reports the
// input as a crash and keeps it) instead of an assert that NDEBUG could remove.
#include <cstdio>
#include <cstdlib>

#define GLK_FUZZ_CHECK(cond)                                                             \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (false)
