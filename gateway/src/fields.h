#pragma once
// Reads the fields of a JSON object (the gateway's configuration file) into typed destinations, each
// checked, and refuses the first field that is missing, of the wrong kind, out of range, or unknown,
// with an error that names it by its path ("clients.client_ttl: ..."). Not thread-safe; one object per
// JSON object read.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "golivekit/observability/status.h"

namespace golivekit::gateway {

namespace obs = golivekit::observability;
using Json = nlohmann::json;

// A refusal that names the field: "clients.client_ttl: ...".
inline obs::Status FieldError(const std::string& field, const std::string& message) {
  return obs::InvalidArgument(field + ": " + message);
}

// A value as the file would spell it (a string with its quotes).
inline std::string Quoted(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Reads the fields of one JSON object, each into its destination, and refuses the first field that is
// missing (when required), of the wrong kind, out of range, or unknown. Stops at the first error.
class Fields {
 public:
  Fields(const Json& object, std::string path) : object_(object), path_(std::move(path)) {
    if (!object_.is_object()) error_ = FieldError(Where(), "must be an object, not " + Quoted(object_));
  }

  [[nodiscard]] const obs::Status& status() const { return error_; }

  // The field's value, or null when it is absent (or an error was found before).
  const Json* Get(const std::string& key, bool required = false) {
    if (!error_.ok()) return nullptr;
    known_.push_back(key);
    const auto it = object_.find(key);
    if (it == object_.end()) {
      if (required) error_ = FieldError(Path(key), "is required");
      return nullptr;
    }
    return &*it;
  }

  void String(const std::string& key, std::string& out, bool required = false) {
    if (const Json* v = Get(key, required)) {
      if (v->is_string()) {
        out = v->get<std::string>();
      } else {
        Fail(key, "must be a string, not " + Quoted(*v));
      }
    }
  }

  void Strings(const std::string& key, std::vector<std::string>& out) {
    const Json* v = Get(key);
    if (v == nullptr) return;
    if (!v->is_array()) return Fail(key, "must be a list of strings, not " + Quoted(*v));
    out.clear();
    for (std::size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_string()) return Fail(key + "[" + std::to_string(i) + "]", "must be a string");
      out.push_back((*v)[i].get<std::string>());
    }
  }

  void Bool(const std::string& key, bool& out) {
    if (const Json* v = Get(key)) {
      if (v->is_boolean()) {
        out = v->get<bool>();
      } else {
        Fail(key, "must be true or false, not " + Quoted(*v));
      }
    }
  }

  // A finite number in [min, max].
  void Number(const std::string& key, double& out, double min, double max) {
    const Json* v = Get(key);
    if (v == nullptr) return;
    if (!v->is_number()) return Fail(key, "must be a number, not " + Quoted(*v));
    const double d = v->get<double>();
    if (!std::isfinite(d) || d < min || d > max) {
      return Fail(key, Quoted(*v) + " is out of range [" + Json(min).dump() + ", " + Json(max).dump() + "]");
    }
    out = d;
  }

  // A whole number in [min, max].
  template <typename T>
  void Whole(const std::string& key, T& out, std::uint64_t min, std::uint64_t max) {
    const Json* v = Get(key);
    if (v == nullptr) return;
    if (!v->is_number_integer() ||
        (v->is_number_integer() && !v->is_number_unsigned() && v->get<std::int64_t>() < 0)) {
      return Fail(key, "must be a whole number, not " + Quoted(*v));
    }
    const std::uint64_t n = v->get<std::uint64_t>();
    if (n < min || n > max) {
      return Fail(key,
                  Quoted(*v) + " is out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    }
    out = static_cast<T>(n);
  }

  // A Prometheus-style duration: "500ms", "30s", "10m", "1h30m", "1d".
  void Duration(const std::string& key, std::chrono::milliseconds& out) {
    const Json* v = Get(key);
    if (v == nullptr) return;
    const auto parsed = v->is_string() ? ParseDuration(v->get<std::string>()) : std::nullopt;
    if (!parsed) {
      return Fail(key,
                  Quoted(*v) + " is not a duration (a string like \"500ms\", \"30s\", \"10m\", \"1h30m\")");
    }
    out = *parsed;
  }

  // One of `names`, as the index into them.
  template <typename T>
  void Choice(const std::string& key, T& out, std::initializer_list<std::pair<std::string_view, T>> names) {
    const Json* v = Get(key);
    if (v == nullptr) return;
    std::string list;
    for (const auto& [name, value] : names) {
      if (v->is_string() && v->get<std::string>() == name) {
        out = value;
        return;
      }
      list += (list.empty() ? "\"" : ", \"") + std::string(name) + "\"";
    }
    Fail(key, Quoted(*v) + " is not one of " + list);
  }

  // Refuses fields that were never asked for; call once all were read.
  void Done() {
    if (!error_.ok()) return;
    for (auto it = object_.begin(); it != object_.end(); ++it) {
      bool known = false;
      for (const std::string& k : known_) known |= k == it.key();
      if (!known) return Fail(it.key(), "is not a field here (misspelt?)");
    }
  }

  void Fail(const std::string& key, const std::string& message) {
    if (error_.ok()) error_ = FieldError(Path(key), message);
  }
  void Adopt(obs::Status st) {
    if (error_.ok() && !st.ok()) error_ = std::move(st);
  }
  [[nodiscard]] std::string Path(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }

 private:
  [[nodiscard]] std::string Where() const { return path_.empty() ? "the configuration" : path_; }

  static std::optional<std::chrono::milliseconds> ParseDuration(const std::string& s) {
    if (s.empty()) return std::nullopt;
    std::int64_t total = 0;
    std::size_t i = 0;
    while (i < s.size()) {
      std::int64_t n = 0;
      const std::size_t digits = i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (n > 1'000'000'000) return std::nullopt;
        n = n * 10 + (s[i++] - '0');
      }
      if (i == digits) return std::nullopt;
      std::int64_t unit = 0;
      if (s.compare(i, 2, "ms") == 0) {
        unit = 1;
        i += 2;
      } else if (i < s.size()) {
        switch (s[i++]) {
          case 's':
            unit = 1000;
            break;
          case 'm':
            unit = 60'000;
            break;
          case 'h':
            unit = 3'600'000;
            break;
          case 'd':
            unit = 86'400'000;
            break;
          default:
            return std::nullopt;
        }
      } else {
        return std::nullopt;  // a number without a unit
      }
      total += n * unit;
      if (total > std::int64_t{366} * 86'400'000) return std::nullopt;
    }
    return std::chrono::milliseconds(total);
  }

  const Json& object_;
  std::string path_;
  obs::Status error_;
  std::vector<std::string> known_;
};

}  // namespace golivekit::gateway
