// Edge cases: sizes, odd characters, inert objects.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <golivekit/observability.hpp>
#include <memory>
#include <string>
#include <vector>

#include "test_util.h"

namespace obs = golivekit::observability;

namespace {

using glk_obs_test::SplitMix64;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Reads an escaped label value starting at text[pos] (just after the opening quote) as the Go parser
// would: only \\, \" and \n are valid escapes. Returns false on an invalid escape or a missing quote.
bool ReadLabelValue(const std::string& text, std::size_t pos, std::string* out) {
  out->clear();
  while (pos < text.size()) {
    const char c = text[pos++];
    if (c == '"') return true;
    if (c == '\n') return false;  // a raw newline can never appear inside a value
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (pos >= text.size()) return false;
    const char e = text[pos++];
    if (e == '\\')
      out->push_back('\\');
    else if (e == '"')
      out->push_back('"');
    else if (e == 'n')
      out->push_back('\n');
    else
      return false;
  }
  return false;
}

}  // namespace

TEST_SUITE("core") {
  TEST_CASE("edge_cases: empty registry in both formats") {
    auto reg = obs::NewRegistry({.namespace_ = "empty", .const_labels = {{"a", "b"}}});
    REQUIRE(reg->status().ok());
    CHECK(reg->Gather().families.empty());
    CHECK(reg->Expose() == "");
    CHECK(reg->Expose(obs::Format::kOpenMetrics) == "# EOF\n");
  }

  TEST_CASE("edge_cases: a 1 MiB label value is exposed intact") {
    std::string big;
    big.reserve(1 << 20);
    const std::string chunk = "abcdefghijklmnopqrstuvwxyz0123456789-Bj\xc3\xb6rn-\xe4\xbd\x96\xe4\xbd\xa5/";
    while (big.size() + chunk.size() <= (1u << 20)) big += chunk;
    while (big.size() < (1u << 20)) big += 'x';
    REQUIRE(big.size() == (1u << 20));
    auto reg = obs::NewRegistry();
    auto g = obs::NewGauge({.name = "big_label", .help = "h", .labels = {"v"}});
    REQUIRE(reg->Register(g).ok());
    auto child = g->WithLabels(big);
    REQUIRE(child.ok());
    child.Set(1);
    const std::string text = reg->Expose();
    const bool intact = Contains(text, "big_label{v=\"" + big + "\"} 1\n");
    CHECK(intact);
    CHECK(text.size() > big.size());
    const std::string om = reg->Expose(obs::Format::kOpenMetrics);
    const bool intact_om = Contains(om, "big_label{v=\"" + big + "\"} 1.0\n");
    CHECK(intact_om);
  }

  TEST_CASE("edge_cases: 30 label names") {
    std::vector<std::string> names;
    std::vector<std::string> values;
    for (int i = 29; i >= 0; --i) {  // declared in reverse order
      const std::string n = (i < 10 ? "l0" : "l") + std::to_string(i);
      names.push_back(n);
      values.push_back("v" + n.substr(1));
    }
    auto reg = obs::NewRegistry();
    auto c = obs::NewCounter({.name = "wide_total", .help = "h", .labels = names});
    REQUIRE(c->status().ok());
    REQUIRE(reg->Register(c).ok());
    auto child = c->WithLabelValues(values);
    REQUIRE(child.ok());
    child.Inc();
    std::string expected = "wide_total{";
    for (int i = 0; i < 30; ++i) {
      const std::string idx = (i < 10 ? "0" : "") + std::to_string(i);
      if (i > 0) expected += ",";
      expected += "l" + idx + "=\"v" + idx + "\"";
    }
    expected += "} 1\n";
    CHECK(reg->Expose() == "# HELP wide_total h\n# TYPE wide_total counter\n" + expected);
    // Wrong count with many labels is still refused.
    values.pop_back();
    CHECK_FALSE(c->WithLabelValues(values).ok());
  }

  TEST_CASE("edge_cases: 10k series are exposed and sorted") {
    constexpr int kSeries = 10000;
    std::vector<int> order(kSeries);
    for (int i = 0; i < kSeries; ++i) order[i] = i;
    std::uint64_t state = 7;
    for (int i = kSeries - 1; i > 0; --i) std::swap(order[i], order[SplitMix64(state) % (i + 1)]);

    auto reg = obs::NewRegistry();
    auto g = obs::NewGauge({.name = "many", .help = "h", .labels = {"id"}});
    REQUIRE(reg->Register(g).ok());
    for (int i : order) g->WithLabels(std::to_string(i)).Set(i);
    CHECK(g->series_count() == kSeries);

    std::vector<std::string> want;
    for (int i = 0; i < kSeries; ++i) want.push_back(std::to_string(i));
    std::sort(want.begin(), want.end());  // lexicographic: "0", "1", "10", "100", ...

    const std::string text = reg->Expose();
    std::vector<std::string> got;
    bool values_match = true;
    std::size_t pos = 0;
    while ((pos = text.find("\nmany{id=\"", pos)) != std::string::npos) {
      pos += 10;
      const std::size_t q = text.find('"', pos);
      const std::string id = text.substr(pos, q - pos);
      got.push_back(id);
      const std::size_t sp = text.find("} ", q);
      const std::size_t nl = text.find('\n', sp);
      if (text.substr(sp + 2, nl - sp - 2) != id) values_match = false;
    }
    CHECK(got.size() == static_cast<std::size_t>(kSeries));
    CHECK(got == want);
    CHECK(values_match);

    const obs::Snapshot s = reg->Gather();
    REQUIRE(s.families.size() == 1);
    REQUIRE(s.families[0].series.size() == static_cast<std::size_t>(kSeries));
    CHECK(s.families[0].series.front().label_values[0] == "0");
    CHECK(s.families[0].series.back().label_values[0] == "9999");
  }

  TEST_CASE("edge_cases: every ASCII control character in a label value round-trips") {
    std::string nasty;
    for (int c = 0; c < 0x20; ++c) nasty.push_back(static_cast<char>(c));
    nasty.push_back(0x7f);
    nasty += "\\\"\\n\"\\";  // backslashes, quotes and a literal backslash-n
    REQUIRE(nasty.size() == 33 + 6);

    auto reg = obs::NewRegistry();
    auto g = obs::NewGauge({.name = "ctl", .help = "h", .labels = {"a", "b"}});
    REQUIRE(reg->Register(g).ok());
    auto child = g->WithLabels(nasty, "plain");
    REQUIRE(child.ok());
    child.Set(1);

    for (obs::Format format : {obs::Format::kText, obs::Format::kOpenMetrics}) {
      const std::string text = reg->Expose(format);
      const std::size_t start = text.find("ctl{a=\"");
      REQUIRE(start != std::string::npos);
      std::string decoded;
      REQUIRE(ReadLabelValue(text, start + 7, &decoded));
      CHECK(decoded == nasty);
      // The second label follows right after the first value's closing quote.
      const std::size_t b = text.find(",b=\"plain\"}", start);
      CHECK(b != std::string::npos);
      // One sample line: the value contains no raw newline.
      const std::size_t line_end = text.find('\n', start);
      CHECK(line_end > b);
    }
  }

  TEST_CASE("edge_cases: constant label values are escaped too") {
    auto reg = obs::NewRegistry({.const_labels = {{"note", "a\"b\\c\nd"}}});
    REQUIRE(reg->status().ok());
    auto g = obs::NewGauge({.name = "noted", .help = "h"});
    REQUIRE(reg->Register(g).ok());
    CHECK(reg->Expose() == "# HELP noted h\n# TYPE noted gauge\nnoted{note=\"a\\\"b\\\\c\\nd\"} 0\n");
  }

  TEST_CASE("edge_cases: WithLabels with no values on a metric without labels") {
    auto c = obs::NewCounter({.name = "solo_total", .help = "h"});
    auto cc = c->WithLabels();
    REQUIRE(cc.ok());
    CHECK(cc.status().ok());
    cc.Inc();
    c->Inc();
    CHECK(cc.Value() == 2);
    CHECK(c->Value() == 2);
    CHECK(c->WithLabelValues(std::vector<std::string>{}).Value() == 2);
    CHECK_FALSE(c->WithLabels("extra").ok());

    auto g = obs::NewGauge({.name = "solo_gauge", .help = "h"});
    auto gc = g->WithLabels();
    REQUIRE(gc.ok());
    gc.Set(4);
    CHECK(g->Value() == 4);

    auto h = obs::NewHistogram({.name = "solo_hist", .help = "h", .buckets = {1}});
    auto hc = h->WithLabels();
    REQUIRE(hc.ok());
    hc.Observe(0.5);
    h->Observe(2);
    CHECK(hc.Count() == 2);
    CHECK(hc.Sum() == 2.5);
    CHECK(h->series_count() == 1);
  }

  TEST_CASE("edge_cases: default-constructed handles are inert") {
    obs::CounterChild c;
    CHECK_FALSE(c.ok());
    CHECK_FALSE(c.status().ok());
    CHECK(c.status().code() == obs::StatusCode::kFailedPrecondition);
    c.Inc();
    CHECK(c.Value() == 0);
    CHECK_FALSE(c.Add(1).ok());
    CHECK(c.Value() == 0);
    obs::CounterChild copy = c;
    CHECK_FALSE(copy.ok());

    obs::HistogramChild h;
    CHECK(h.status().code() == obs::StatusCode::kFailedPrecondition);
    obs::Timer t = obs::NewTimer(h);
    CHECK(t.ObserveDuration() >= 0);  // observes nothing, does not crash
    CHECK(h.Count() == 0);
  }

  TEST_CASE("edge_cases: help with invalid UTF-8 is refused or never exposed as such") {
    auto reg = obs::NewRegistry();
    auto c = obs::NewCounter({.name = "bad_help_total", .help = "bad \xff help"});
    if (c->status().ok() && reg->Register(c).ok()) {
      c->Inc();
      CHECK(obs::IsValidUtf8(reg->Expose()));
    } else {
      CHECK(reg->Expose().empty());
    }
  }

  TEST_CASE("edge_cases: invalid UTF-8 label values on gauges and histograms") {
    auto g = obs::NewGauge({.name = "u8g", .help = "h", .labels = {"v"}});
    CHECK_FALSE(g->WithLabels("\xc3\x28").ok());
    auto h = obs::NewHistogram({.name = "u8h", .help = "h", .labels = {"v"}});
    CHECK_FALSE(h->WithLabels("\xf4\x90\x80\x80").ok());
    CHECK(g->series_count() == 0);
    CHECK(h->series_count() == 0);
  }

  TEST_CASE("edge_cases: a long metric name and long label names") {
    const std::string name(2000, 'n');
    const std::string label = "l" + std::string(500, 'x');
    auto reg = obs::NewRegistry();
    auto g = obs::NewGauge({.name = name, .help = "h", .labels = {label}});
    REQUIRE(g->status().ok());
    REQUIRE(reg->Register(g).ok());
    g->WithLabels("v").Set(2);
    CHECK(Contains(reg->Expose(), "\n" + name + "{" + label + "=\"v\"} 2\n"));
  }

  TEST_CASE("edge_cases: a series deleted and recreated many times") {
    auto reg = obs::NewRegistry();
    auto c = obs::NewCounter({.name = "churn_total", .help = "h", .labels = {"k"}});
    REQUIRE(reg->Register(c).ok());
    for (int i = 0; i < 1000; ++i) {
      c->WithLabels("a").Inc();
      c->WithLabels("b").Inc();
      REQUIRE(c->Delete("a").ok());
    }
    CHECK(c->series_count() == 1);
    CHECK(c->WithLabels("b").Value() == 1000);
    CHECK(reg->Expose() == "# HELP churn_total h\n# TYPE churn_total counter\nchurn_total{k=\"b\"} 1000\n");
    CHECK(c->WithLabels("a").Value() == 0);
  }
}
