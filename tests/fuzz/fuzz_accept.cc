// libFuzzer target: the /metrics request parsers of native/negotiation.h (Accept, Accept-Encoding, the
// name[] query filter) on arbitrary bytes, and the selection core makes with that filter (FilterFamilies).
//
// Properties: never crashes, throws or reads out of bounds; OpenMetrics is chosen only when enabled; a
// filter has at least one name and keeps only families it names, in order.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "golivekit/observability/negotiation.h"
#include "golivekit/observability/snapshot.h"

namespace obs = golivekit::observability;

namespace {

obs::Snapshot Sample() {
  obs::Snapshot s;
  for (const char* name : {"a_total", "b", "up", "x_total"}) {
    obs::FamilySnapshot f;
    f.name = name;
    f.help = "h";
    f.type = std::string_view(name).ends_with("_total") ? obs::MetricType::kCounter : obs::MetricType::kGauge;
    f.series.push_back(obs::SeriesSnapshot{});
    s.families.push_back(std::move(f));
  }
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const obs::Format with_om = obs::NegotiateFormat(input, /*enable_openmetrics=*/true);
  const obs::Format without_om = obs::NegotiateFormat(input, /*enable_openmetrics=*/false);
  GLK_FUZZ_CHECK(without_om == obs::Format::kText);
  GLK_FUZZ_CHECK(with_om == obs::Format::kText || with_om == obs::Format::kOpenMetrics);
  GLK_FUZZ_CHECK(obs::NegotiateFormat(input, true) == with_om);
  // Protobuf offered too: either it wins, or the winner is the one without it (one total order).
  const obs::Format with_all = obs::NegotiateFormat(input, obs::AcceptedFormats{});
  GLK_FUZZ_CHECK(with_all == obs::Format::kProtobuf || with_all == with_om);
  const obs::Format protobuf_only = obs::NegotiateFormat(input, {.openmetrics = false, .protobuf = true});
  GLK_FUZZ_CHECK(protobuf_only == obs::Format::kProtobuf || protobuf_only == obs::Format::kText);
  GLK_FUZZ_CHECK(with_all != obs::Format::kProtobuf || protobuf_only == obs::Format::kProtobuf);

  (void)obs::AcceptsGzip(input);

  const auto names = obs::ParseNameFilter(input);
  if (names) {
    GLK_FUZZ_CHECK(!names->empty());
    std::size_t total = 0;
    for (const std::string& n : *names) total += n.size();
    GLK_FUZZ_CHECK(total <= input.size());
    static const obs::Snapshot sample = Sample();
    const obs::Snapshot kept = obs::FilterFamilies(sample, *names);
    GLK_FUZZ_CHECK(kept.families.size() <= sample.families.size());
    std::size_t j = 0;  // kept is a subsequence of sample
    for (const obs::FamilySnapshot& f : kept.families) {
      while (j < sample.families.size() && sample.families[j].name != f.name) ++j;
      GLK_FUZZ_CHECK(j < sample.families.size());
      ++j;
    }
    obs::Snapshot copy = sample;
    obs::FilterFamilies(copy, *names);
    GLK_FUZZ_CHECK(copy.families.size() == kept.families.size());
  }
  return 0;
}
