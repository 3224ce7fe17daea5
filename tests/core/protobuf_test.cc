// The protobuf exposition (Format::kProtobuf, docs/exposition.md "Protobuf"): the wire helpers
// (exposition/protobuf_wire.h), byte-exact messages worked out by hand from metrics.proto, and the rules
// for native histograms. Every field of every type is checked against the real protobuf library by
// tests/protobuf/check_golden.py.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "exposition/protobuf_wire.h"
#include "golivekit/observability/encode.h"
#include "golivekit/observability/snapshot.h"

namespace obs = golivekit::observability;
namespace pb = golivekit::observability::detail::pb;

namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (const int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

std::string Varint(std::uint64_t v) {
  char buf[pb::kMaxVarint];
  return std::string(buf, pb::PutVarint(buf, v));
}

// The bytes of one length-delimited top-level message of `data` at `pos` (advanced past it).
std::string_view NextMessage(std::string_view data, std::size_t& pos) {
  std::uint64_t length = 0;
  int shift = 0;
  while (true) {
    REQUIRE(pos < data.size());
    const auto b = static_cast<std::uint8_t>(data[pos++]);
    length |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    shift += 7;
    if (b < 0x80) break;
  }
  REQUIRE(pos + length <= data.size());
  const std::string_view message = data.substr(pos, length);
  pos += length;
  return message;
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

obs::FamilySnapshot NativeFamily(std::string name, obs::NativeBuckets native) {
  obs::FamilySnapshot f{.name = std::move(name), .help = "", .type = obs::MetricType::kHistogram};
  f.native = true;
  obs::SeriesSnapshot s;
  s.native = std::move(native);
  s.count = s.native.zero_count;
  for (const std::uint64_t c : s.native.positive_counts) s.count += c;
  for (const std::uint64_t c : s.native.negative_counts) s.count += c;
  f.series.push_back(std::move(s));
  return f;
}

}  // namespace

TEST_SUITE("core") {
  TEST_CASE("protobuf wire: varints and zigzag as the protobuf encoding specifies") {
    CHECK(Varint(0) == Bytes({0}));
    CHECK(Varint(1) == Bytes({1}));
    CHECK(Varint(127) == Bytes({0x7f}));
    CHECK(Varint(128) == Bytes({0x80, 0x01}));
    CHECK(Varint(300) == Bytes({0xac, 0x02}));
    CHECK(Varint(~std::uint64_t{0}) == Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
    for (const std::uint64_t v : {std::uint64_t{0}, std::uint64_t{127}, std::uint64_t{128},
                                  std::uint64_t{16383}, std::uint64_t{16384}, ~std::uint64_t{0}}) {
      CHECK(pb::VarintSize(v) == Varint(v).size());
    }
    CHECK(pb::ZigZag32(0) == 0);
    CHECK(pb::ZigZag32(-1) == 1);
    CHECK(pb::ZigZag32(1) == 2);
    CHECK(pb::ZigZag32(-2) == 3);
    CHECK(pb::ZigZag32(INT32_MIN) == UINT32_MAX);
    CHECK(pb::ZigZag64(-3) == 5);
    CHECK(pb::ZigZag64(INT64_MAX) == UINT64_MAX - 1);
    CHECK(pb::ZigZag64(INT64_MIN) == UINT64_MAX);
  }

  TEST_CASE("protobuf wire: a submessage length that needs more or fewer bytes than left moves the body") {
    for (const std::size_t body :
         {std::size_t{0}, std::size_t{5}, std::size_t{127}, std::size_t{128}, std::size_t{300},
          std::size_t{16383}, std::size_t{16384}, std::size_t{70000}}) {
      for (const std::size_t room : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{5}}) {
        CAPTURE(body);
        CAPTURE(room);
        std::string out = "head";
        {
          pb::MessageWriter w(out);
          const auto open = w.OpenMessage(4, room);
          std::string content(body, 'x');
          if (body > 0) content.back() = 'z';
          char* p = w.Reserve(body);
          for (const char c : content) *p++ = c;
          w.Commit(p);
          w.CloseMessage(open);
          w.Commit(pb::PutVarintField(w.Reserve(pb::kMaxVarintField), 1, 7));
        }
        std::string expected = "head" + Bytes({0x22}) + Varint(body) + std::string(body, 'x');
        if (body > 0) expected.back() = 'z';
        expected += Bytes({0x08, 0x07});
        CHECK(out == expected);
      }
    }
  }

  TEST_CASE("protobuf: a counter family byte for byte") {
    obs::Snapshot snap;
    snap.families.push_back(
        {.name = "foos_total", .help = "Number of foos.", .type = obs::MetricType::kCounter, .series = {{}}});
    snap.families.back().series[0].value = 42;
    // MetricFamily{name=1, help=2, type=3 COUNTER, metric=4 {counter=3 {value=1 42.0}}}, length 44.
    const std::string expected = Bytes({44, 0x0a, 10}) + "foos_total" + Bytes({0x12, 15}) +
                                 "Number of foos." +
                                 Bytes({0x18, 0, 0x22, 11, 0x1a, 9, 0x09, 0, 0, 0, 0, 0, 0, 0x45, 0x40});
    CHECK(obs::Encode(snap, obs::Format::kProtobuf) == expected);
  }

  TEST_CASE("protobuf: labels in label order and an empty help left out") {
    obs::Snapshot snap;
    snap.families.push_back({.name = "g",
                             .help = "",
                             .type = obs::MetricType::kGauge,
                             .label_names = {"a", "b"},
                             .series = {{.label_values = {"x", "é"}, .value = 0}}});
    // gauge: type 1; LabelPair{name "a", value "x"}, LabelPair{"b", "é" (2 bytes)}; Gauge{0.0}.
    const std::string metric = Bytes({0x0a, 6, 0x0a, 1, 'a', 0x12, 1, 'x'}) +
                               Bytes({0x0a, 7, 0x0a, 1, 'b', 0x12, 2}) + "é" +
                               Bytes({0x12, 9, 0x09, 0, 0, 0, 0, 0, 0, 0, 0});
    const std::string family = Bytes({0x0a, 1, 'g', 0x18, 1, 0x22, static_cast<int>(metric.size())}) + metric;
    CHECK(obs::Encode(snap, obs::Format::kProtobuf) == Bytes({static_cast<int>(family.size())}) + family);
  }

  TEST_CASE("protobuf: unknown is UNTYPED and families without series are left out") {
    obs::Snapshot snap;
    snap.families.push_back({.name = "a_empty", .help = "h", .type = obs::MetricType::kCounter});
    snap.families.push_back({.name = "u", .help = "", .type = obs::MetricType::kUnknown, .series = {{}}});
    const std::string expected =
        Bytes({18, 0x0a, 1, 'u', 0x18, 3, 0x22, 11, 0x2a, 9, 0x09, 0, 0, 0, 0, 0, 0, 0, 0});
    CHECK(obs::Encode(snap, obs::Format::kProtobuf) == expected);
    CHECK(obs::Encode(obs::Snapshot{}, obs::Format::kProtobuf).empty());
  }

  TEST_CASE("protobuf: native deltas against the previous bucket and a no-op span for an empty histogram") {
    obs::Snapshot snap;
    snap.families.push_back(NativeFamily("empty", {.schema = 3, .zero_threshold = 0.5}));
    snap.families.push_back(NativeFamily("filled", {.schema = -2,
                                                    .zero_threshold = 0.5,
                                                    .zero_count = 1,
                                                    .positive_spans = {{.offset = -1, .length = 3}},
                                                    .positive_counts = {5, 3, 300}}));
    const std::string out = obs::Encode(snap, obs::Format::kProtobuf);
    std::size_t pos = 0;
    const std::string_view empty = NextMessage(out, pos);
    const std::string_view filled = NextMessage(out, pos);
    CHECK(pos == out.size());
    const std::string threshold = Bytes({0x31, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f});  // zero_threshold 0.5
    // schema 3 (zigzag 6), zero_threshold, zero_count 0, positive_span {offset 0, length 0}; no delta.
    CHECK(Contains(empty, Bytes({0x28, 6}) + threshold + Bytes({0x38, 0, 0x62, 4, 0x08, 0, 0x10, 0})));
    CHECK_FALSE(Contains(empty, Bytes({0x68})));
    // schema -2 (zigzag 3), zero_count 1, span {offset -1 (zigzag 1), length 3}, deltas 5, -2, 297.
    CHECK(Contains(filled,
                   Bytes({0x28, 3}) + threshold +
                       Bytes({0x38, 1, 0x62, 4, 0x08, 1, 0x10, 3, 0x68, 10, 0x68, 3, 0x68, 0xd2, 0x04})));
    // A native-only histogram has no bucket field (client_golang writes none).
    CHECK_FALSE(Contains(filled, Bytes({0x1a})));
  }

  TEST_CASE("protobuf: classic buckets without +Inf, sample count and sum") {
    obs::Snapshot snap;
    snap.families.push_back({.name = "h",
                             .help = "",
                             .type = obs::MetricType::kHistogram,
                             .bucket_bounds = {1},
                             .series = {{.bucket_counts = {2}, .sum = 0.5, .count = 3}}});
    const std::string histogram = Bytes({0x08, 3, 0x11, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f}) +
                                  Bytes({0x1a, 11, 0x08, 2, 0x11, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f});
    const std::string family = Bytes({0x0a, 1, 'h', 0x18, 4, 0x22, static_cast<int>(histogram.size()) + 2,
                                      0x3a, static_cast<int>(histogram.size())}) +
                               histogram;
    CHECK(obs::Encode(snap, obs::Format::kProtobuf) == Bytes({static_cast<int>(family.size())}) + family);
  }

  TEST_CASE("protobuf: content type and appending to what the output holds") {
    CHECK(obs::ContentType(obs::Format::kProtobuf) ==
          "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited");
    obs::Snapshot snap;
    snap.families.push_back({.name = "u", .help = "", .type = obs::MetricType::kUnknown, .series = {{}}});
    std::string out = "prefix";
    obs::Encode(snap, obs::Format::kProtobuf, out);
    CHECK(out == "prefix" + obs::Encode(snap, obs::Format::kProtobuf));
  }
}
