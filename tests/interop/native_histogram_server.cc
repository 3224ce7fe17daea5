// The accuracy test's target (native_histogram_accuracy.py): serves /metrics with two histograms that
// have native buckets (factor 1.1, schema 3), both filled with the values of a file, so that a real
// Prometheus can compute quantiles the test compares with the exact ones of the same values.
//
//   native_histogram_server --values FILE [--host 127.0.0.1] [--port 0]
//
// glk_accuracy_native_seconds has native buckets only; glk_accuracy_both_seconds has the default
// classic buckets beside them (what Prometheus 2.42 keeps of those is part of the test). Prints
// "observed N values" and "listening on http://HOST:PORT", then serves until SIGTERM or SIGINT.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <golivekit/observability.hpp>
#include <memory>
#include <string>
#include <vector>

#include "serve_util.h"

namespace obs = golivekit::observability;

namespace {

struct Args {
  std::string values_path;
  std::string host = "127.0.0.1";
  int port = 0;
};

bool ParseArgs(int argc, char** argv, Args& args) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--values") {
      args.values_path = value;
    } else if (flag == "--host") {
      args.host = value;
    } else if (flag == "--port") {
      args.port = std::atoi(value);
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && !args.values_path.empty();
}

// One value per line, written by the test with 17 significant digits: strtod reads back the exact
// doubles the test computes its true quantiles from.
bool ReadValues(const std::string& path, std::vector<double>& out) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(line.c_str(), &end);
    if (errno != 0 || end == line.c_str() || *end != '\0') {
      std::fprintf(stderr, "%s: not a number: %s\n", path.c_str(), line.c_str());
      return false;
    }
    out.push_back(v);
  }
  return in.eof() && !out.empty();
}

std::shared_ptr<obs::Histogram> NativeHistogram(const std::string& name,
                                                std::vector<double> classic_buckets) {
  return obs::NewHistogram({
      .name = name,
      .help = "Known values, for Prometheus' quantiles to be compared with the exact ones",
      .buckets = std::move(classic_buckets),
      .native_bucket_factor = 1.1,
  });
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, args)) {
    std::fprintf(stderr, "usage: native_histogram_server --values FILE [--host 127.0.0.1] [--port 0]\n");
    return 2;
  }
  std::vector<double> values;
  if (!ReadValues(args.values_path, values)) {
    std::fprintf(stderr, "cannot read values from %s\n", args.values_path.c_str());
    return 2;
  }

  auto registry = obs::NewRegistry();
  auto native_only = NativeHistogram("glk_accuracy_native_seconds", {});
  auto both = NativeHistogram("glk_accuracy_both_seconds", obs::DefaultBuckets);
  for (const auto& st : {registry->Register(native_only), registry->Register(both)}) {
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.ToString().c_str());
      return 1;
    }
  }
  for (double v : values) {
    native_only->Observe(v);
    both->Observe(v);
  }
  std::printf("observed %zu values (schema %d)\n", values.size(),
              static_cast<int>(native_only->native_schema()));

  return glk_obs_test::ServeUntilStopped(registry, args.host, args.port, 4);
}
