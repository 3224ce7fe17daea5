// The client-batch format (client_batch.h, docs/wire-format.md): exact bytes, round trips, the
// decoder's behaviour on broken and hostile input, and BatchEncoder's deltas and splitting.
#include "golivekit/observability/client_batch.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "golivekit/observability/client_metrics.h"
#include "golivekit/observability/counter.h"
#include "golivekit/observability/gauge.h"
#include "golivekit/observability/histogram.h"
#include "golivekit/observability/registry.h"
#include "test_util.h"

namespace obs = golivekit::observability;

namespace {

obs::ClientId Id(std::uint8_t first) {
  obs::ClientId id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(first + i);
  return id;
}

obs::Batch Sample() {
  obs::Batch b;
  b.client = Id(1);
  b.sequence = 300;
  b.dropped_batches = 2;
  b.final = true;
  b.families.push_back(
      {.name = "c_total",
       .type = obs::MetricType::kCounter,
       .label_names = {"event"},
       .bucket_bounds = {},
       .series = {{.label_values = {"click"}, .value = 3}, {.label_values = {""}, .value = 0.5}}});
  b.families.push_back({.name = "g",
                        .type = obs::MetricType::kGauge,
                        .label_names = {},
                        .bucket_bounds = {},
                        .series = {{.label_values = {}, .value = -1.25}}});
  b.families.push_back(
      {.name = "h_seconds",
       .type = obs::MetricType::kHistogram,
       .label_names = {"a", "b"},
       .bucket_bounds = {0.1, 1},
       .series = {{.label_values = {"x", "y"}, .value = 0, .bucket_deltas = {1, 0, 200}, .sum_delta = 2.5}}});
  return b;
}

// The client and sequence of the documented examples (docs/wire-format.md): client 00 01 … 0f, sequence 1.
obs::Batch DocumentedExampleHeader() {
  obs::Batch b;
  for (std::size_t i = 0; i < 16; ++i) b.client[i] = static_cast<std::uint8_t>(i);
  b.sequence = 1;
  return b;
}

std::string Encode(const obs::Batch& b) {
  std::string out;
  obs::EncodeBatch(b, out);
  return out;
}

void CheckSame(const obs::Batch& a, const obs::Batch& b) {
  CHECK(a.client == b.client);
  CHECK(a.sequence == b.sequence);
  CHECK(a.dropped_batches == b.dropped_batches);
  CHECK(a.final == b.final);
  REQUIRE(a.families.size() == b.families.size());
  for (std::size_t i = 0; i < a.families.size(); ++i) {
    const auto& x = a.families[i];
    const auto& y = b.families[i];
    CHECK(x.name == y.name);
    CHECK(x.type == y.type);
    CHECK(x.label_names == y.label_names);
    CHECK(x.bucket_bounds == y.bucket_bounds);
    CHECK(x.native == y.native);
    REQUIRE(x.series.size() == y.series.size());
    for (std::size_t j = 0; j < x.series.size(); ++j) {
      CHECK(x.series[j].label_values == y.series[j].label_values);
      CHECK(x.series[j].bucket_deltas == y.series[j].bucket_deltas);
      CHECK(x.series[j].native == y.series[j].native);
      if (x.type == obs::MetricType::kHistogram) {
        CHECK(x.series[j].sum_delta == y.series[j].sum_delta);
      } else {
        CHECK(x.series[j].value == y.series[j].value);
      }
    }
  }
}

}  // namespace

TEST_SUITE("client_batch") {
  TEST_CASE("the documented example encodes to exactly the documented bytes") {
    // docs/wire-format.md, "Example": client 000102…0f, sequence 1, one counter series.
    obs::Batch b = DocumentedExampleHeader();
    b.families.push_back({.name = "x_total",
                          .type = obs::MetricType::kCounter,
                          .label_names = {"k"},
                          .bucket_bounds = {},
                          .series = {{.label_values = {"v"}, .value = 1}}});
    const std::string want =
        std::string("GLKB\x01\x00", 6) +
        std::string("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f", 16) +
        std::string("\x01\x00\x01", 3) +                     // sequence 1, dropped 0, 1 family
        std::string("\x07x_total\x00", 9) +                  // name, type counter
        std::string("\x01\x01k", 3) +                        // 1 label name: "k"
        std::string("\x01\x01v", 3) +                        // 1 series, value "v"
        std::string("\x00\x00\x00\x00\x00\x00\xf0\x3f", 8);  // 1.0, little-endian IEEE 754
    CHECK(Encode(b) == want);
    CHECK(obs::kBatchContentType == "application/vnd.golivekit.metrics-batch");
  }

  TEST_CASE("the documented version 2 example encodes to exactly the documented bytes") {
    // docs/wire-format.md, "Example, version 2": one native-only histogram series with the observations
    // 0, 1, 1.0625 and 1.0625 at schema 3.
    obs::Batch b = DocumentedExampleHeader();
    b.families.push_back({.name = "t_seconds",
                          .type = obs::MetricType::kHistogram,
                          .native = true,
                          .series = {{.sum_delta = 3.125,
                                      .native = {.schema = 3,
                                                 .zero_threshold = obs::kDefaultNativeZeroThreshold,
                                                 .zero_count = 1,
                                                 .positive_spans = {{0, 2}},
                                                 .positive_counts = {1, 2}}}}});
    const std::string want =
        std::string("GLKB\x02\x00", 6) +
        std::string("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f", 16) +
        std::string("\x01\x00\x01", 3) +                      // sequence 1, dropped 0, 1 family
        std::string("\x09t_seconds\x02\x00", 12) +            // name, type histogram, no label names
        std::string("\x00\x01\x01", 3) +                      // no bounds, native, 1 series
        std::string("\x03", 1) +                              // schema 3
        std::string("\x00\x00\x00\x00\x00\x00\xf0\x37", 8) +  // zero threshold 2^-128
        std::string("\x01\x01\x00\x02\x01\x02\x00", 7) +      // zero 1; 1 span {0, 2}: 1, 2; no negative
        std::string("\x00\x00\x00\x00\x00\x00\x09\x40", 8);   // sum 3.125
    CHECK(want.size() == 64);
    CHECK(Encode(b) == want);
    obs::Batch got;
    REQUIRE(obs::DecodeBatch(want, got).ok());
    CheckSame(b, got);
    // The same observations recorded by a histogram and shipped by the encoder give these very bytes.
    auto reg = obs::NewRegistry();
    auto h =
        obs::NewHistogram({.name = "t_seconds", .help = "h", .buckets = {}, .native_bucket_factor = 1.1});
    REQUIRE(reg->Register(h).ok());
    for (const double v : {0.0, 1.0, 1.0625, 1.0625}) h->Observe(v);
    obs::BatchEncoder encoder(b.client);
    CHECK(encoder.Encode(reg->Gather()).at(0) == want);
  }

  TEST_CASE("version 2: native series survive encode and decode, hostile native blocks are refused") {
    obs::Batch b = Sample();
    obs::BatchFamily both{.name = "n_seconds",
                          .type = obs::MetricType::kHistogram,
                          .label_names = {"k"},
                          .bucket_bounds = {1},
                          .native = true};
    both.series.push_back({.label_values = {"v"},
                           .bucket_deltas = {2, 5},
                           .sum_delta = -3.5,
                           .native = {.schema = -4,
                                      .zero_threshold = 0.001,
                                      .zero_count = 1,
                                      .positive_spans = {{-3, 2}, {4, 1}},
                                      .positive_counts = {1, 0, 3},
                                      .negative_spans = {{7, 1}},
                                      .negative_counts = {2}}});
    b.families.push_back(both);
    const std::string bytes = Encode(b);
    CHECK(obs::PeekBatchVersion(bytes) == 2);
    CHECK(obs::PeekBatchHeader(bytes)->sequence == 300);
    obs::Batch got;
    REQUIRE(obs::DecodeBatch(bytes, got).ok());
    CheckSame(b, got);

    // One native series alone, then broken in each way the decoder must catch.
    obs::Batch one{.client = Id(2), .sequence = 1};
    one.families.push_back(both);
    const std::string good = Encode(one);
    const std::size_t native_at = good.size() - 8 - 22;  // the schema byte: a 22-byte block, then the sum
    REQUIRE(static_cast<std::int8_t>(good[native_at]) == -4);
    const auto error = [](const std::string& in) {
      obs::Batch out;
      return obs::DecodeBatch(in, out).message();
    };
    std::string bad_schema = good;
    bad_schema[native_at] = 9;
    CHECK(error(bad_schema).find("native schema 9 outside -4..8") != std::string::npos);
    std::string bad_flag = good;
    bad_flag[native_at - 6] = 2;  // before the block: series count, label value "v", classic deltas
    CHECK(error(bad_flag).find("native flag") != std::string::npos);
    std::string backwards = good;
    backwards[native_at + 13] = 3;  // the second span's offset (schema, threshold, zero, count, span 1): -2
    CHECK(error(backwards).find("native span offset below 0") != std::string::npos);
    std::string cut = good.substr(0, good.size() - 9);
    CHECK(!error(cut).empty());
    obs::Batch out;
    CHECK(obs::DecodeBatch(good, out, {.max_native_buckets = 3}).message().find("(limit 0)") !=
          std::string::npos);
    CHECK(obs::DecodeBatch(good, out, {.max_native_buckets = 2}).message().find("beyond the bucket limit") !=
          std::string::npos);
    obs::Batch far = one;
    far.families[0].series[0].native.positive_spans = {{1 << 21, 1}, {0, 1}};
    CHECK(error(Encode(far)).find("beyond the bucket limit") != std::string::npos);
  }

  TEST_CASE("a batch survives encode and decode unchanged") {
    const obs::Batch b = Sample();
    obs::Batch got;
    REQUIRE(obs::DecodeBatch(Encode(b), got).ok());
    CheckSame(b, got);
  }

  TEST_CASE("varints take 1 to 10 bytes and the largest sequence round-trips") {
    obs::Batch b = Sample();
    for (const std::uint64_t seq : {std::uint64_t{1}, std::uint64_t{127}, std::uint64_t{128},
                                    std::uint64_t{1} << 35, std::numeric_limits<std::uint64_t>::max()}) {
      b.sequence = seq;
      b.families[2].series[0].bucket_deltas = {seq, 0, 1};
      obs::Batch got;
      REQUIRE(obs::DecodeBatch(Encode(b), got).ok());
      CHECK(got.sequence == seq);
      CHECK(got.families[2].series[0].bucket_deltas[0] == seq);
    }
  }

  TEST_CASE("every proper prefix of a batch is an error, never a crash") {
    const std::string bytes = Encode(Sample());
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      obs::Batch got;
      const obs::Status st = obs::DecodeBatch(std::string_view(bytes).substr(0, n), got);
      CHECK_MESSAGE(!st.ok(), "prefix of ", n, " bytes decoded");
      CHECK(got.families.empty());
    }
  }

  TEST_CASE("structural errors name the offset and the problem") {
    const std::string good = Encode(Sample());
    obs::Batch got;
    auto error = [&](const std::string& bytes) { return obs::DecodeBatch(bytes, got).message(); };
    CHECK(error("") ==
          "batch: truncated header: 0 bytes, the fixed header is 22 (the magic \"GLKB\" at offset 0 is "
          "missing)");
    CHECK(error("{\"json\": true, \"padding\": 123}") ==
          "batch: not a golivekit metrics batch (no \"GLKB\" header)");
    std::string v3 = good;
    v3[4] = 3;
    CHECK(error(v3) == "batch: format version 3 (this server reads versions 1 to 2)");
    std::string v0 = good;
    v0[4] = 0;
    CHECK(error(v0) == "batch: format version 0 (this server reads versions 1 to 2)");
    std::string flags = good;
    flags[5] = 0x02;
    CHECK(error(flags) == "batch: offset 5: unknown flags");
    CHECK(error(good + "x").find("trailing bytes") != std::string::npos);
    std::string seq0 = good;
    seq0[22] = 0;  // sequence 300 is 0xac 0x02: make it a one-byte 0 followed by garbage
    CHECK(error(seq0).find("offset 22: sequence 0") != std::string::npos);
    std::string type = Encode({.client = {},
                               .sequence = 1,
                               .dropped_batches = 0,
                               .final = false,
                               .families = {{.name = "a", .type = obs::MetricType::kCounter}}});
    type[22 + 3 + 2] = 7;  // the type byte after the 1-byte name "a"
    CHECK(error(type).find("unknown metric type") != std::string::npos);
  }

  TEST_CASE("a header cut short names the field cut off and its offset, only a wrong magic says no GLKB") {
    const std::string good = Encode(Sample());
    struct Field {
      std::size_t begin;
      std::size_t end;
      std::string name;
    };
    const Field fields[] = {
        {0, 4, "the magic \"GLKB\""}, {4, 5, "the version"}, {5, 6, "the flags"}, {6, 22, "the client id"}};
    for (const Field& f : fields) {
      for (std::size_t n = f.begin; n < f.end; ++n) {
        obs::Batch got;
        const std::string message = obs::DecodeBatch(std::string_view(good).substr(0, n), got).message();
        CAPTURE(n);
        CAPTURE(message);
        CHECK(message.find("truncated header: " + std::to_string(n) + " bytes, the fixed header is 22") !=
              std::string::npos);
        const std::string where = f.name + " at offset " + std::to_string(f.begin) + " is ";
        CHECK(message.find(where + (n == f.begin ? "missing" : "cut off at offset " + std::to_string(n))) !=
              std::string::npos);
        CHECK(message.find("no \"GLKB\" header") == std::string::npos);
      }
    }
    // The magic really absent or wrong, however short the input.
    obs::Batch got;
    for (const std::string& bad : {std::string("X"), std::string("GX"), std::string("GLKX"),
                                   "GLKX" + good.substr(4), std::string("glkb\x01\x00")}) {
      CAPTURE(bad);
      CHECK(obs::DecodeBatch(bad, got).message() ==
            "batch: not a golivekit metrics batch (no \"GLKB\" header)");
    }
    // A wrong byte before the cut is named before the cut: the version, then the flags.
    CHECK(obs::DecodeBatch(std::string("GLKB\x03\x00", 6), got).message().find("format version 3") !=
          std::string::npos);
    CHECK(obs::DecodeBatch(std::string("GLKB\x01\x04", 6), got).message() ==
          "batch: offset 5: unknown flags");
  }

  TEST_CASE("the header alone gives the client id and sequence, or nothing when it is not a whole header") {
    obs::Batch b = Sample();
    for (const std::uint64_t seq :
         {std::uint64_t{1}, std::uint64_t{300}, std::numeric_limits<std::uint64_t>::max()}) {
      b.sequence = seq;
      const std::string bytes = Encode(b);
      const auto header = obs::PeekBatchHeader(bytes);
      REQUIRE(header.has_value());
      CHECK(header->client == Id(1));
      CHECK(header->sequence == seq);
      CHECK(obs::PeekBatchVersion(bytes) == obs::BatchVersionFor(b));
      // The sequence and the header before it are all the peek reads: the rest may be anything.
      std::size_t sequence_end = 22 + 1;
      while (static_cast<std::uint8_t>(bytes[sequence_end - 1]) & 0x80) ++sequence_end;
      CHECK(obs::PeekBatchHeader(std::string_view(bytes).substr(0, sequence_end))->sequence == seq);
      CHECK_FALSE(obs::PeekBatchHeader(std::string_view(bytes).substr(0, sequence_end - 1)).has_value());
    }
    std::string other = Encode(Sample());
    other[4] = 3;
    CHECK_FALSE(obs::PeekBatchHeader(other).has_value());
    CHECK(obs::PeekBatchVersion(other) == 3);
    other[0] = 'X';
    CHECK_FALSE(obs::PeekBatchVersion(other).has_value());
    CHECK_FALSE(obs::PeekBatchVersion("GLKB").has_value());
    b.sequence = 0;
    CHECK_FALSE(obs::PeekBatchHeader(Encode(b)).has_value());
  }

  TEST_CASE("hostile counts are refused before anything is allocated") {
    const std::string head =
        std::string("GLKB\x01\x00", 6) + std::string(16, '\0') + std::string("\x01\x00", 2);
    obs::Batch got;
    // 2^62 families in a few bytes.
    const std::string huge_families = head + std::string("\x80\x80\x80\x80\x80\x80\x80\x80\x40", 9);
    CHECK(obs::DecodeBatch(huge_families, got).message().find("families (limit 1024)") != std::string::npos);
    // 1000 families claimed, 3 bytes left.
    const std::string lying = head + std::string("\xe8\x07", 2) + "abc";
    CHECK(obs::DecodeBatch(lying, got).message().find("cannot fit") != std::string::npos);
    // A string claiming 1 GiB.
    const std::string long_string = head + std::string("\x01\x80\x80\x80\x80\x04", 6);
    CHECK(obs::DecodeBatch(long_string, got).message().find("string of 1073741824 bytes") !=
          std::string::npos);
    // An 11-byte varint.
    const std::string overlong =
        std::string("GLKB\x01\x00", 6) + std::string(16, '\0') + std::string(10, '\xff') + "\x01";
    CHECK(obs::DecodeBatch(overlong, got).message().find("varint longer than 64 bits") != std::string::npos);
    // The whole input over the limit.
    obs::DecodeLimits small;
    small.max_bytes = 10;
    CHECK(obs::DecodeBatch(Encode(Sample()), got, small).message().find("(limit 10)") != std::string::npos);
  }

  TEST_CASE("random corruption of valid batches never crashes the decoder") {
    const std::string good = Encode(Sample());
    std::uint64_t rng = 42;
    int decoded = 0;
    for (int round = 0; round < 20000; ++round) {
      std::string bytes = good;
      const int edits = 1 + static_cast<int>(glk_obs_test::SplitMix64(rng) % 4);
      for (int e = 0; e < edits; ++e) {
        const std::uint64_t r = glk_obs_test::SplitMix64(rng);
        const std::size_t at = r % bytes.size();
        switch ((r >> 32) % 3) {
          case 0:
            bytes[at] = static_cast<char>(r >> 40);
            break;
          case 1:
            bytes.erase(at, 1 + (r >> 48) % 8);
            break;
          default:
            bytes.insert(at, 1 + (r >> 48) % 4, static_cast<char>(r >> 56));
            break;
        }
        if (bytes.empty()) bytes = "G";
      }
      obs::Batch got;
      if (obs::DecodeBatch(bytes, got).ok()) {
        ++decoded;
        // Whatever decodes must encode back to the same bytes (the format has one spelling per value,
        // except non-minimal varints).
        CHECK(got.sequence >= 1);
      }
    }
    CHECK(decoded < 20000);
  }

  TEST_CASE("client ids are random and print as 32 hex digits") {
    std::set<obs::ClientId> ids;
    for (int i = 0; i < 100; ++i) ids.insert(obs::NewClientId());
    CHECK(ids.size() == 100);
    CHECK(obs::ClientIdHex(Id(0xf0)) == "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  }

  TEST_CASE("a client id from four random words: each word little-endian, in order") {
    CHECK(obs::ClientIdHex(obs::ClientIdFromWords({0x03020100u, 0x07060504u, 0x0b0a0908u, 0x0f0e0d0cu})) ==
          "000102030405060708090a0b0c0d0e0f");
  }
}

TEST_SUITE("batch_encoder") {
  TEST_CASE("first batch carries every series, later ones what changed, gauges always") {
    auto reg = obs::NewRegistry();
    auto c = obs::NewCounter({.name = "events_total", .help = "h", .labels = {"event"}});
    auto g = obs::NewGauge({.name = "open_views", .help = "h"});
    auto h = obs::NewHistogram({.name = "lat_seconds", .help = "h", .labels = {}, .buckets = {0.1, 1}});
    REQUIRE(reg->Register(c).ok());
    REQUIRE(reg->Register(g).ok());
    REQUIRE(reg->Register(h).ok());
    c->WithLabels("click").Add(3);
    c->WithLabels("idle");  // a new series at 0 is shipped once, so the server knows it
    g->Set(2);
    h->Observe(0.05);
    h->Observe(0.5);
    h->Observe(7);

    obs::BatchEncoder enc(Id(9));
    CHECK(enc.next_sequence() == 1);
    auto batches = enc.Encode(reg->Gather());
    REQUIRE(batches.size() == 1);
    obs::Batch b;
    REQUIRE(obs::DecodeBatch(batches[0], b).ok());
    CHECK(b.client == Id(9));
    CHECK(b.sequence == 1);
    CHECK_FALSE(b.final);
    REQUIRE(b.families.size() == 3);  // sorted by name
    CHECK(b.families[0].name == "events_total");
    REQUIRE(b.families[0].series.size() == 2);
    CHECK(b.families[0].series[0].label_values == std::vector<std::string>{"click"});
    CHECK(b.families[0].series[0].value == 3);
    CHECK(b.families[0].series[1].value == 0);
    CHECK(b.families[1].name == "lat_seconds");
    CHECK(b.families[1].bucket_bounds == std::vector<double>{0.1, 1});
    CHECK(b.families[1].series[0].bucket_deltas == std::vector<std::uint64_t>{1, 1, 1});
    CHECK(b.families[1].series[0].sum_delta == doctest::Approx(7.55));
    CHECK(b.families[2].name == "open_views");
    CHECK(b.families[2].series[0].value == 2);

    // Nothing changed: only the gauge.
    batches = enc.Encode(reg->Gather(), {.final = false, .dropped_batches = 4});
    REQUIRE(batches.size() == 1);
    REQUIRE(obs::DecodeBatch(batches[0], b).ok());
    CHECK(b.sequence == 2);
    CHECK(b.dropped_batches == 4);
    REQUIRE(b.families.size() == 1);
    CHECK(b.families[0].name == "open_views");

    // Increments since the previous batch.
    c->WithLabels("click").Inc();
    h->Observe(0.5);
    h->Observe(0.6);
    batches = enc.Encode(reg->Gather());
    REQUIRE(obs::DecodeBatch(batches[0], b).ok());
    REQUIRE(b.families.size() == 3);
    REQUIRE(b.families[0].series.size() == 1);
    CHECK(b.families[0].series[0].value == 1);
    CHECK(b.families[1].series[0].bucket_deltas == std::vector<std::uint64_t>{0, 2, 0});
    CHECK(b.families[1].series[0].sum_delta == doctest::Approx(1.1));
  }

  TEST_CASE("a counter or histogram that was reset starts again from what it holds") {
    auto reg = obs::NewRegistry();
    auto c = obs::NewCounter({.name = "n_total", .help = "h", .labels = {"k"}});
    REQUIRE(reg->Register(c).ok());
    c->WithLabels("a").Add(10);
    obs::BatchEncoder enc(Id(1));
    (void)enc.Encode(reg->Gather());
    REQUIRE(c->Reset().ok());
    c->WithLabels("a").Add(4);
    const auto batches = enc.Encode(reg->Gather());
    obs::Batch b;
    REQUIRE(obs::DecodeBatch(batches.at(0), b).ok());
    CHECK(b.families.at(0).series.at(0).value == 4);
  }

  TEST_CASE("nothing to say: no batch, and no sequence number used, final: always one") {
    auto reg = obs::NewRegistry();
    auto c = obs::NewCounter({.name = "n_total", .help = "h"});
    REQUIRE(reg->Register(c).ok());
    obs::BatchEncoder enc(Id(1));
    CHECK(enc.Encode(reg->Gather()).size() == 1);  // the new series
    CHECK(enc.Encode(reg->Gather()).empty());
    CHECK(enc.next_sequence() == 2);
    const auto last = enc.Encode(reg->Gather(), {.final = true, .dropped_batches = 0});
    REQUIRE(last.size() == 1);
    obs::Batch b;
    REQUIRE(obs::DecodeBatch(last[0], b).ok());
    CHECK(b.final);
    CHECK(b.sequence == 2);
    CHECK(b.families.empty());
  }

  TEST_CASE("skipped and untyped families are not shipped") {
    auto reg = obs::NewRegistry();
    auto a = obs::NewGauge({.name = "mine", .help = "h"});
    auto r = obs::NewGauge({.name = "runtime_thing", .help = "h"});
    REQUIRE(reg->Register(a).ok());
    REQUIRE(reg->Register(r).ok());
    obs::BatchEncoder enc(Id(1));
    CHECK(enc.Skip("runtime_thing"));
    CHECK_FALSE(enc.Skip("runtime_thing"));  // already skipped
    CHECK(enc.skips("runtime_thing"));
    CHECK_FALSE(enc.skips("mine"));
    obs::Batch b;
    REQUIRE(obs::DecodeBatch(enc.Encode(reg->Gather()).at(0), b).ok());
    REQUIRE(b.families.size() == 1);
    CHECK(b.families[0].name == "mine");
  }

  TEST_CASE("native buckets ship in version 2 as increments, classic-only batches stay version 1") {
    auto reg = obs::NewRegistry();
    auto c = obs::NewCounter({.name = "clicks_total", .help = "h"});
    auto both = obs::NewHistogram({.name = "both_seconds",
                                   .help = "h",
                                   .labels = {},
                                   .buckets = {0.1, 1},
                                   .native_bucket_factor = 1.1});
    auto native_only = obs::NewHistogram(
        {.name = "native_seconds", .help = "h", .labels = {}, .buckets = {}, .native_bucket_factor = 1.1});
    REQUIRE(native_only->status().ok());
    REQUIRE(reg->Register(c).ok());
    c->Inc();
    obs::BatchEncoder enc(Id(3));
    const auto classic_only = enc.Encode(reg->Gather());
    REQUIRE(classic_only.size() == 1);
    CHECK(obs::PeekBatchVersion(classic_only[0]) == 1);
    REQUIRE(reg->Register(both).ok());
    REQUIRE(reg->Register(native_only).ok());

    for (const double v : {0.05, 0.5, 7.0, 0.0, -2.0}) {
      both->Observe(v);
      native_only->Observe(v);
    }
    const auto batches = enc.Encode(reg->Gather());
    REQUIRE(batches.size() == 1);
    CHECK(obs::PeekBatchVersion(batches[0]) == 2);
    obs::Batch b;
    REQUIRE(obs::DecodeBatch(batches[0], b).ok());
    REQUIRE(b.families.size() == 2);
    const obs::BatchFamily& fb = b.families[0];
    CHECK(fb.name == "both_seconds");
    CHECK(fb.native);
    CHECK(fb.classic());
    CHECK(fb.bucket_bounds == std::vector<double>{0.1, 1});
    CHECK(fb.series.at(0).bucket_deltas == std::vector<std::uint64_t>{3, 1, 1});
    CHECK(fb.series.at(0).sum_delta == doctest::Approx(5.55));
    const obs::NativeBuckets& nb = fb.series.at(0).native;
    CHECK(nb.schema == 3);
    CHECK(nb.zero_threshold == obs::kDefaultNativeZeroThreshold);
    CHECK(nb.zero_count == 1);
    CHECK(nb.positive_counts.size() >= 3);
    CHECK(std::count(nb.positive_counts.begin(), nb.positive_counts.end(), 1u) == 3);
    CHECK(nb.negative_counts == std::vector<std::uint64_t>{1});
    const obs::BatchFamily& fn = b.families[1];
    CHECK(fn.name == "native_seconds");
    CHECK(fn.native);
    CHECK_FALSE(fn.classic());
    CHECK(fn.series.at(0).bucket_deltas.empty());
    CHECK(fn.series.at(0).native == nb);

    // Later: only what changed, as increments of the buckets that changed.
    native_only->Observe(7.0);
    native_only->Observe(100.0);
    const auto later = enc.Encode(reg->Gather());
    REQUIRE(later.size() == 1);
    REQUIRE(obs::DecodeBatch(later[0], b).ok());
    REQUIRE(b.families.size() == 1);
    const obs::NativeBuckets& inc = b.families[0].series.at(0).native;
    CHECK(inc.zero_count == 0);
    CHECK(inc.negative_counts.empty());
    std::uint64_t total = 0;
    for (const std::uint64_t n : inc.positive_counts) total += n;
    CHECK(total == 2);
    CHECK(b.families[0].series.at(0).sum_delta == 107);
  }

  TEST_CASE("a series that lowered its resolution ships increments at its new schema") {
    auto reg = obs::NewRegistry();
    auto h = obs::NewHistogram({.name = "h_seconds",
                                .help = "h",
                                .labels = {},
                                .buckets = {},
                                .native_bucket_factor = 1.01,
                                .native_max_buckets = 8});
    REQUIRE(reg->Register(h).ok());
    h->Observe(1.5);
    obs::BatchEncoder enc(Id(4));
    obs::Batch first;
    REQUIRE(obs::DecodeBatch(enc.Encode(reg->Gather()).at(0), first).ok());
    const std::int32_t schema_before = first.families.at(0).series.at(0).native.schema;
    for (int i = 0; i < 40; ++i) h->Observe(1.0 + i * 0.37);  // far more than 8 buckets at that schema
    obs::Batch second;
    REQUIRE(obs::DecodeBatch(enc.Encode(reg->Gather()).at(0), second).ok());
    const obs::NativeBuckets& n = second.families.at(0).series.at(0).native;
    CHECK(n.schema < schema_before);
    std::uint64_t total = n.zero_count;
    for (const std::uint64_t c : n.positive_counts) total += c;
    CHECK(total == 40);  // the earlier observation, lowered with the rest, is not sent again
  }

  TEST_CASE("large changes are split into batches under the limit that together carry everything") {
    auto reg = obs::NewRegistry();
    auto c = obs::NewCounter({.name = "events_total", .help = "h", .labels = {"event"}});
    auto h = obs::NewHistogram(
        {.name = "lat_seconds", .help = "h", .labels = {"event"}, .buckets = obs::DefaultBuckets});
    REQUIRE(reg->Register(c).ok());
    REQUIRE(reg->Register(h).ok());
    for (int i = 0; i < 500; ++i) {
      const std::string e = "event-number-" + std::to_string(i);
      c->WithLabels(e).Add(i + 1);
      h->WithLabels(e).Observe(0.001 * i);
    }
    obs::BatchEncoder enc(Id(1), 2000);
    const auto batches = enc.Encode(reg->Gather());
    CHECK(batches.size() > 10);
    double total = 0;
    std::uint64_t observations = 0;
    std::set<std::uint64_t> seqs;
    for (const std::string& bytes : batches) {
      CHECK(bytes.size() <= 2000);
      obs::Batch b;
      REQUIRE(obs::DecodeBatch(bytes, b).ok());
      seqs.insert(b.sequence);
      for (const auto& f : b.families) {
        for (const auto& s : f.series) {
          total += s.value;
          for (const std::uint64_t d : s.bucket_deltas) observations += d;
        }
      }
    }
    CHECK(total == 500.0 * 501 / 2);
    CHECK(observations == 500);
    CHECK(seqs.size() == batches.size());
    CHECK(*seqs.begin() == 1);
    CHECK(*seqs.rbegin() == batches.size());
  }

  TEST_CASE("a snapshot given away encodes as one lent, and one lent is left as it was") {
    auto reg = obs::NewRegistry();
    auto c = obs::NewCounter({.name = "events_total", .help = "h", .labels = {"event"}});
    auto h = obs::NewHistogram({.name = "lat_seconds",
                                .help = "h",
                                .labels = {"event"},
                                .buckets = obs::DefaultBuckets,
                                .native_bucket_factor = 1.1});
    auto g = obs::NewGauge({.name = "open_views", .help = "h"});
    REQUIRE(reg->Register(c).ok());
    REQUIRE(reg->Register(h).ok());
    REQUIRE(reg->Register(g).ok());
    obs::BatchEncoder lent(Id(3), 1500);
    obs::BatchEncoder given(Id(3), 1500);
    for (int round = 0; round < 3; ++round) {
      for (int i = 0; i < 40 * (round + 1); ++i) {
        const std::string e = "event-" + std::to_string(i);
        c->WithLabels(e).Add(i + round);
        h->WithLabels(e).Observe(0.01 * i + round);
      }
      g->Set(round);
      const obs::Snapshot snapshot = reg->Gather();
      const std::string before = obs::Encode(snapshot);
      const std::vector<std::string> a = lent.Encode(snapshot);
      CHECK(obs::Encode(snapshot) == before);
      const std::vector<std::string> b = given.Encode(reg->Gather());
      CHECK(a.size() > 1);  // split: every batch is closed after the families it names were kept
      CHECK(a == b);
    }
  }

  TEST_CASE("a single series larger than the limit still travels, alone") {
    auto reg = obs::NewRegistry();
    auto c = obs::NewCounter({.name = "n_total", .help = "h", .labels = {"k"}});
    REQUIRE(reg->Register(c).ok());
    c->WithLabels(std::string(300, 'x')).Inc();
    c->WithLabels("y").Inc();
    obs::BatchEncoder enc(Id(1), 100);
    const auto batches = enc.Encode(reg->Gather());
    REQUIRE(batches.size() == 2);
    CHECK(batches[0].size() > 300);
    CHECK(batches[1].size() <= 100);
  }
}
