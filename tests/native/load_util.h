#pragma once
// Shared by the hostile-client and load tests: the process's resident memory, how much to scale a
// flood or a load down under the sanitizers, and raw HTTP over a socket.
#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "socket_util.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define GLK_OBS_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define GLK_OBS_TEST_SANITIZED 1
#endif
#endif
#ifndef GLK_OBS_TEST_SANITIZED
#define GLK_OBS_TEST_SANITIZED 0
#endif

namespace glk_obs_test {

// True in the asan and tsan builds: floods and loads are scaled down (they run 5-20 times slower), and
// resident memory says nothing useful (ASan keeps freed memory in quarantine, TSan has shadow memory):
// it is printed, not asserted.
inline constexpr bool kSanitized = GLK_OBS_TEST_SANITIZED != 0;

// `n` scaled for this build: n natively, n / 10 under a sanitizer; GLK_OBS_LOAD_SCALE (a factor) in
// the environment overrides both.
inline std::size_t Scaled(std::size_t n) {
  double factor = kSanitized ? 0.1 : 1.0;
  if (const char* env = std::getenv("GLK_OBS_LOAD_SCALE")) {
    const double f = std::strtod(env, nullptr);
    if (f > 0) factor = f;
  }
  const double scaled = static_cast<double>(n) * factor;
  return scaled < 1 ? 1 : static_cast<std::size_t>(scaled);
}

// Resident set size of this process (VmRSS), in KiB; 0 if unknown.
inline std::size_t RssKib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0)
      return static_cast<std::size_t>(std::strtoull(line.c_str() + 6, nullptr, 10));
  }
  return 0;
}

inline double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Sends all of `data` (false if the peer closed or reset the connection).
inline bool SendAll(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads until the peer closes the connection or `timeout` passes; what arrived.
inline std::string ReadUntilClosed(int fd, std::chrono::milliseconds timeout, bool* closed = nullptr) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string out;
  if (closed) *closed = false;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return out;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return out;
    std::array<char, 4096> buf{};
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) {
      if (closed) *closed = true;
      return out;
    }
    out.append(buf.data(), static_cast<std::size_t>(n));
  }
}

// The status code of the HTTP response at the start of `response`, or 0.
inline int StatusOf(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) return 0;
  return std::atoi(response.substr(9, 3).c_str());
}

}  // namespace glk_obs_test
