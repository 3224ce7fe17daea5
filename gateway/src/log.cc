#include "log.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace golivekit::gateway {
namespace {

// A value is quoted when it is empty or holds what would end it (a space, a quote, '='); quotes and
// backslashes inside are escaped, line breaks written as \n so that a line stays one line.
void Append(std::string& line, std::string_view value) {
  bool plain = !value.empty();
  for (const char c : value) plain = plain && c != ' ' && c != '"' && c != '=' && c != '\\' && c >= 0x20;
  if (plain) {
    line += value;
    return;
  }
  line += '"';
  for (const char c : value) {
    if (c == '"' || c == '\\') line += '\\';
    if (c == '\n') {
      line += "\\n";
    } else {
      line += c;
    }
  }
  line += '"';
}

std::string Timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char date[24];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(ms));
  return std::string(date) + millis;
}

}  // namespace

void Log(std::string_view level, std::string_view message, std::initializer_list<LogField> fields) {
  std::string line = "ts=" + Timestamp() + " level=";
  line += level;
  line += " msg=";
  Append(line, message);
  for (const auto& [key, value] : fields) {
    line += ' ';
    line += key;
    line += '=';
    Append(line, value);
  }
  line += '\n';
  for (std::size_t done = 0; done < line.size();) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace golivekit::gateway
