// Hostile clients against a real server on 127.0.0.1 (in this process, so that its resident memory can
// be measured): for every limit of the ingest (clients tracked, client state lifetime, series per metric,
// label-value length, bucket layout, values, sequences, rate per client and per address, body size,
// body time), a client going past it gets the documented status, the server's memory stays bounded,
// and well-behaved clients and scrapes keep working. Also: slow bodies (slowloris) and more
// connections than the worker pool has threads. Figures are printed (MESSAGE) for docs/reliability.md.
//
// The floods (hundreds of thousands of batches) go through ClientMetrics::Apply, which is what the
// HTTP handler calls for each request; a sample of each goes over HTTP for the status codes. Under
// the sanitizers the floods are scaled down (load_util.h) and RSS is printed, not asserted.
#include <doctest/doctest.h>
#include <golivekit/observability/exporter.h>
#include <golivekit/observability/ingest.h>
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <golivekit/observability.hpp>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ingest_util.h"
#include "load_util.h"
#include "socket_util.h"

namespace obs = golivekit::observability;
using namespace std::chrono_literals;
using glk_obs_test::ClientOpts;
using glk_obs_test::IngestServer;
using glk_obs_test::MakeBatch;

namespace {

using Clock = std::chrono::steady_clock;

const char* const kEvents = "golivekit_client_events_total{event=\"click\"}";
const char* const kLatencyCount = "golivekit_client_event_latency_seconds_count{event=\"click\"}";

// Client id number `n` (distinct for distinct n).
obs::ClientId Id(std::uint64_t n) {
  obs::ClientId id{};
  id[0] = 0xEE;
  for (int i = 0; i < 8; ++i) id[8 + i] = static_cast<std::uint8_t>(n >> (8 * i));
  return id;
}

std::string Encode(const obs::Batch& batch) {
  std::string out;
  obs::EncodeBatch(batch, out);
  return out;
}

// A batch of one events family with these (label value, increment) series.
std::string EventsBatch(const obs::ClientId& id, std::uint64_t sequence,
                        const std::vector<std::pair<std::string, double>>& series) {
  obs::Batch batch;
  batch.client = id;
  batch.sequence = sequence;
  obs::BatchFamily family{
      .name = "golivekit_client_events_total", .type = obs::MetricType::kCounter, .label_names = {"event"}};
  for (const auto& [value, inc] : series) family.series.push_back({.label_values = {value}, .value = inc});
  batch.families.push_back(std::move(family));
  return Encode(batch);
}

// A batch of one latency series with these bounds and deltas.
std::string LatencyBatch(const obs::ClientId& id, std::uint64_t sequence, std::vector<double> bounds,
                         std::vector<std::uint64_t> deltas, double sum) {
  obs::Batch batch;
  batch.client = id;
  batch.sequence = sequence;
  batch.families.push_back(
      {.name = "golivekit_client_event_latency_seconds",
       .type = obs::MetricType::kHistogram,
       .label_names = {"event"},
       .bucket_bounds = std::move(bounds),
       .series = {{.label_values = {"click"}, .bucket_deltas = std::move(deltas), .sum_delta = sum}}});
  return Encode(batch);
}

// The JSON error of a response: status and "error".
void CheckError(const httplib::Result& res, int status, const std::string& error) {
  REQUIRE(res);
  CHECK(res->status == status);
  const auto json = glk_obs_test::ParseFlatJson(res->body);
  REQUIRE(json);
  CHECK(json->at("error") == error);
}

void CheckApplied(const httplib::Result& res, const std::string& result = "applied") {
  REQUIRE(res);
  CHECK(res->status == 200);
  const auto json = glk_obs_test::ParseFlatJson(res->body);
  REQUIRE(json);
  CHECK(json->at("result") == result);
}

// A scrape of /metrics that must answer 200; how long it took.
double TimedScrape(int port, std::string* body = nullptr) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(30, 0);
  cli.set_read_timeout(30, 0);
  const auto start = Clock::now();
  auto res = cli.Get("/metrics");
  const double took = glk_obs_test::Seconds(Clock::now() - start);
  REQUIRE(res);
  CHECK(res->status == 200);
  if (body) *body = res->body;
  return took;
}

double Mib(std::size_t kib) { return static_cast<double>(kib) / 1024.0; }

// RSS growth bound of a flood, asserted natively, printed always.
void ReportRss(const std::string& what, std::size_t before_kib, std::size_t after_kib, double bound_mib) {
  const double growth = Mib(after_kib) - Mib(before_kib);
  MESSAGE(what << ": RSS " << Mib(before_kib) << " MiB before, " << Mib(after_kib) << " MiB after (growth "
               << growth << " MiB, bound " << bound_mib << " MiB"
               << std::string(glk_obs_test::kSanitized ? ", not asserted under a sanitizer" : "") << ")");
  if (!glk_obs_test::kSanitized) CHECK(growth < bound_mib);
}

// An ingest request whose headers say `length` bytes of batch follow.
std::string PostHeaders(std::size_t length) {
  return "POST /metrics/ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
         "application/vnd.golivekit.metrics-batch\r\n"
         "Content-Length: " +
         std::to_string(length) + "\r\n\r\n";
}

}  // namespace

TEST_SUITE("native") {
  TEST_CASE(
      "hostile: 1M label values against server metrics with max_series: bounded series and memory, exact "
      "totals") {
    // The application's own metrics, fed label values it does not control (a user id, a raw path).
    const std::size_t flood = glk_obs_test::Scaled(1000000);
    auto registry = obs::NewRegistry({.max_series = 2000});
    auto requests = obs::NewCounter(
        {.name = "app_requests_total", .help = "Requests, by path", .labels = {"path"}, .max_series = 1000});
    auto latency = obs::NewHistogram(
        {.name = "app_latency_seconds", .help = "Latency, by path", .labels = {"path"}, .buckets = {0.1, 1}});
    REQUIRE(registry->Register(requests).ok());
    REQUIRE(registry->Register(latency).ok());
    std::string scrape = registry->Expose();
    const std::size_t rss_before = glk_obs_test::RssKib();
    const auto start = Clock::now();
    for (std::size_t i = 0; i < flood; ++i) {
      const std::string path = "/user/" + std::to_string(i);
      requests->WithLabels(path).Inc();
      latency->WithLabels(path).Observe(0.5);
      if (i % 100000 == 0) {  // scrapes meanwhile, into one kept buffer as the exporter does
        scrape.clear();
        registry->Expose(obs::Format::kText, scrape);
      }
    }
    const double took = glk_obs_test::Seconds(Clock::now() - start);
    scrape.clear();
    registry->Expose(obs::Format::kText, scrape);
    const std::size_t rss_after = glk_obs_test::RssKib();
    MESSAGE("server-metric flood: " << flood
                                    << " label values into a counter (max_series 1000) and a histogram "
                                    << "(the registry's 2000) in " << took << " s");
    CHECK(requests->series_count() == 1000);
    CHECK(latency->series_count() == 2000);
    // Totals exact, the overflow series included.
    CHECK(glk_obs_test::SampleValue(scrape, "app_requests_total{path=\"__overflow__\"}") ==
          static_cast<double>(flood - 999));
    CHECK(glk_obs_test::SampleValue(scrape, "app_latency_seconds_count{path=\"__overflow__\"}") ==
          static_cast<double>(flood - 1999));
    double total = 0;
    for (const obs::FamilySnapshot& f : registry->Gather().families) {
      if (f.name != "app_requests_total") continue;
      for (const obs::SeriesSnapshot& series : f.series) total += series.value;
    }
    CHECK(total == static_cast<double>(flood));
    CHECK(glk_obs_test::SampleValue(
              scrape, "golivekit_registry_overflow_samples_total{metric=\"app_requests_total\"}") ==
          static_cast<double>(flood - 999));
    CHECK(glk_obs_test::SampleValue(
              scrape, "golivekit_registry_overflow_samples_total{metric=\"app_latency_seconds\"}") ==
          static_cast<double>(flood - 1999));
    // 3,000 series of some hundred bytes each: the flood adds about a megabyte, whatever its size.
    ReportRss("server-metric flood", rss_before, rss_after, 8);
  }

  TEST_CASE("hostile: a flood of new client ids: 503 past max_clients, bounded memory, known clients go on") {
    const std::size_t flood = glk_obs_test::Scaled(200000);
    obs::ClientMetricsOpts opts = ClientOpts();
    opts.max_clients =
        std::min<std::size_t>(10000, flood / 2);  // 10,000 (a scaled-down flood: at least twice it)
    opts.rate_per_second = 0;
    IngestServer s({.address_rate_per_second = 0}, opts);
    CheckApplied(s.Post(MakeBatch(Id(0), 1, 1)));  // a well-behaved client, known before the flood
    (void)s.Metrics();
    const std::size_t rss_before = glk_obs_test::RssKib();
    const auto start = Clock::now();
    std::size_t applied = 0;
    std::size_t too_many = 0;
    for (std::size_t i = 1; i <= flood; ++i) {
      const obs::ApplyResult r = s.client->Apply(MakeBatch(Id(i), 1, 1));
      if (r.accepted()) {
        ++applied;
      } else if (r.reason == obs::RejectReason::kTooManyClients) {
        ++too_many;
        CHECK(r.retry_after.count() > 0);
      }
    }
    const double took = glk_obs_test::Seconds(Clock::now() - start);
    const std::size_t rss_after = glk_obs_test::RssKib();
    MESSAGE("client-id flood: " << flood << " new ids in " << took << " s (" << flood / took
                                << " batches/s), max_clients " << opts.max_clients << ": " << applied
                                << " applied, " << too_many << " too_many_clients");
    // The ids share their first 8 bytes: a table hashed on them (as it once was) scanned all 10,000
    // clients for each batch, under the engine's mutex (33 s for this flood instead of 0.2 s).
    if (!glk_obs_test::kSanitized) CHECK(took < 5);
    CHECK(applied == opts.max_clients - 1);
    CHECK(too_many == flood - applied);
    CHECK(s.client->tracked_clients() == opts.max_clients);
    // 10,000 clients of ~1 KiB of state each, and the allocator's slack: well under 32 MiB.
    ReportRss("client-id flood", rss_before, rss_after, 32);

    // Over HTTP: a new client gets 503 with Retry-After; the known one, and the scrapes, go on.
    auto res = s.Post(MakeBatch(Id(flood + 1), 1, 1));
    CheckError(res, 503, "too_many_clients");
    CHECK(res->has_header("Retry-After"));
    CheckApplied(s.Post(MakeBatch(Id(0), 2, 1)));
    const std::string metrics = s.Metrics();
    CHECK(glk_obs_test::SampleValue(metrics, kEvents) == static_cast<double>(applied + 2));
    CHECK(glk_obs_test::SampleValue(metrics, "golivekit_client_ingest_clients{state=\"tracked\"}") ==
          static_cast<double>(opts.max_clients));

    // Client state expires: past client_ttl, new clients take the place of the old ones; the table
    // never grows past the cap.
    const auto later = Clock::now() + opts.client_ttl + 1s;
    for (std::size_t i = 0; i < 100; ++i)
      CHECK(s.client->Apply(MakeBatch(Id(flood + 2 + i), 1, 1), later).accepted());
    CHECK(s.client->tracked_clients() <= opts.max_clients);
    CHECK(s.client->tracked_clients() >= 100);
  }

  TEST_CASE(
      "hostile: a flood of new series: one overflow series past max_series, bounded memory, exact total") {
    obs::ClientMetricsOpts opts = ClientOpts();
    opts.rate_per_second = 0;
    const std::size_t max_series = opts.metrics[0].max_series;
    IngestServer s({.address_rate_per_second = 0}, opts);
    (void)s.Metrics();
    const std::size_t values = glk_obs_test::Scaled(1000000);
    const std::size_t per_batch = 3000;  // ~16 bytes a series: ~50 KB batches, under the 64 KiB cap
    const std::size_t rss_before = glk_obs_test::RssKib();
    const auto start = Clock::now();
    std::size_t batches = 0;
    std::size_t next = 0;
    std::vector<std::pair<std::string, double>> series;
    while (next < values) {
      series.clear();
      for (std::size_t i = 0; i < per_batch && next < values; ++i, ++next)
        series.push_back({"v" + std::to_string(next), 1});
      ++batches;
      const obs::ApplyResult r = s.client->Apply(EventsBatch(Id(batches % 50), batches, series));
      REQUIRE_MESSAGE(r.accepted(), r.message);
    }
    const double took = glk_obs_test::Seconds(Clock::now() - start);
    const std::size_t rss_after = glk_obs_test::RssKib();
    MESSAGE("series flood: " << values << " distinct label values in " << batches << " batches, " << took
                             << " s (" << static_cast<double>(values) / took << " series/s), max_series "
                             << max_series);
    CHECK(s.client->series_count("golivekit_client_events_total") == max_series);
    // The declared series, the overflow one included: a few hundred KiB whatever the flood.
    ReportRss("series flood", rss_before, rss_after, 16);

    const std::string metrics = s.Metrics();
    const double overflow =
        glk_obs_test::SampleValue(metrics, "golivekit_client_events_total{event=\"__overflow__\"}");
    CHECK(overflow == static_cast<double>(values - (max_series - 1)));
    CHECK(glk_obs_test::SampleValue(
              metrics,
              "golivekit_client_ingest_overflow_series_total{metric=\"golivekit_client_events_total\"}") ==
          overflow);
    // Nothing lost: the kept series and the overflow add up to the flood.
    CHECK(glk_obs_test::SampleValue(metrics, "golivekit_client_events_total{event=\"v0\"}") == 1);
    // A well-behaved client's new series goes to the overflow series too (the cap is per metric), and
    // its known one is merged as usual.
    CheckApplied(s.Post(EventsBatch(Id(9999), 1, {{"v1", 2}, {"click", 1}})));
    CHECK(s.Value("golivekit_client_events_total{event=\"v1\"}") == 3);
    CHECK(s.Value("golivekit_client_events_total{event=\"__overflow__\"}") == overflow + 1);
  }

  TEST_CASE("hostile: long label values: 400 invalid_label_value, no state kept, bounded memory") {
    obs::ClientMetricsOpts opts = ClientOpts();
    opts.rate_per_second = 0;
    IngestServer s({.address_rate_per_second = 0}, opts);
    (void)s.Metrics();
    const std::size_t n = glk_obs_test::Scaled(20000);
    const std::size_t rss_before = glk_obs_test::RssKib();
    std::size_t invalid = 0;
    std::size_t malformed = 0;
    for (std::size_t i = 0; i < n; ++i) {
      // 129 bytes up to 60 KB: past the declared 128; past 4096 the decoder refuses it (malformed).
      const std::size_t length = 129 + (i * 7919) % 60000;
      const obs::ApplyResult r = s.client->Apply(EventsBatch(Id(i), 1, {{std::string(length, 'x'), 1}}));
      CHECK_FALSE(r.accepted());
      if (r.reason == obs::RejectReason::kInvalidLabelValue) ++invalid;
      if (r.reason == obs::RejectReason::kMalformed) ++malformed;
    }
    const std::size_t rss_after = glk_obs_test::RssKib();
    MESSAGE("long labels: " << n << " batches with label values of 129 B to 60 KB: " << invalid
                            << " invalid_label_value, " << malformed
                            << " malformed (past the decoder's 4 KiB)");
    CHECK(invalid + malformed == n);
    CHECK(invalid > 0);
    CHECK(s.client->tracked_clients() == 0);  // a rejected batch leaves no client state
    CHECK(s.client->series_count("golivekit_client_events_total") == 0);
    ReportRss("long labels", rss_before, rss_after, 8);

    CheckError(s.Post(EventsBatch(Id(1), 1, {{std::string(129, 'x'), 1}})), 400, "invalid_label_value");
    CheckError(s.Post(EventsBatch(Id(1), 1, {{std::string(5000, 'x'), 1}})), 400, "malformed");
    CheckError(s.Post(EventsBatch(Id(1), 1, {{std::string("\xff\xfe", 2), 1}})), 400, "invalid_label_value");
    CheckApplied(s.Post(EventsBatch(Id(1), 1, {{std::string(128, 'x'), 1}})));  // exactly the cap is fine
  }

  TEST_CASE("hostile: histograms with a wrong or huge bucket layout are skipped or refused, nothing merged") {
    IngestServer s;
    const std::vector<double> declared = glk_obs_test::LatencyBuckets();
    std::vector<double> huge;
    for (int i = 1; i <= 256; ++i) huge.push_back(i);
    std::vector<double> too_many;
    for (int i = 1; i <= 5000; ++i) too_many.push_back(i);
    // Other bounds, a bound less, 256 bounds (the decoder's limit): the family is skipped (deploy skew),
    // the batch applied. 5,000 bounds: malformed.
    const auto check_skipped = [](const httplib::Result& res) {
      REQUIRE(res);
      CHECK(res->status == 200);
      INFO(res->body);
      const nlohmann::json answer = nlohmann::json::parse(res->body);
      CHECK(answer["result"] == "applied");
      CHECK(answer["skipped"][0]["reason"] == "bucket_mismatch");
    };
    check_skipped(s.Post(LatencyBatch(Id(1), 1, {0.5, 1, 2}, {1, 0, 0, 0}, 0.3)));
    check_skipped(s.Post(LatencyBatch(Id(1), 2, {0.01, 0.1}, {1, 0, 0}, 0.001)));
    check_skipped(s.Post(LatencyBatch(Id(1), 4, huge, std::vector<std::uint64_t>(257, 1), 1)));
    CheckError(s.Post(LatencyBatch(Id(1), 5, too_many, std::vector<std::uint64_t>(5001, 1), 1)), 400,
               "malformed");
    // The declared bounds with a wrong number of deltas; unsorted and non-finite bounds.
    auto res = s.Post(LatencyBatch(Id(1), 6, declared, {1, 0}, 0.001));
    REQUIRE(res);
    CHECK(res->status == 400);
    CheckError(s.Post(LatencyBatch(Id(1), 6, {1, 0.1, 0.01}, {1, 0, 0, 0}, 0.001)), 400, "invalid_value");
    CheckError(s.Post(LatencyBatch(Id(1), 6, {0.01, 0.1, std::numeric_limits<double>::infinity()},
                                   {1, 0, 0, 0}, 0.001)),
               400, "invalid_value");
    CHECK(std::isnan(s.Value(kLatencyCount)));  // never created
    // A bound more (a superset of the declared layout) is summed into the declared buckets exactly.
    CheckApplied(s.Post(LatencyBatch(Id(1), 6, {0.01, 0.1, 1, 10}, {1, 0, 0, 0, 0}, 0.001)));
    CHECK(s.Value(kLatencyCount) == 1);
    // Huge counts: past 2^53 a count is no longer exact (and three of 2^62 wrap 64 bits): refused whole,
    // nothing merged, scrapes still work.
    const std::uint64_t big = std::uint64_t{1} << 62;
    CheckError(s.Post(LatencyBatch(Id(2), 1, declared, {big, 0, 0, 0}, 1)), 400, "total_out_of_range");
    CheckError(s.Post(LatencyBatch(Id(2), 1, declared, {big, big, big, big}, 1)), 400, "total_out_of_range");
    CHECK(s.Value(kLatencyCount) == 1);
    // A well-behaved client goes on.
    CheckApplied(s.Post(LatencyBatch(Id(3), 1, declared, {1, 0, 0, 0}, 0.005)));
  }

  TEST_CASE("hostile: NaN, Inf and negative counter increments: 400 invalid_value, nothing merged") {
    IngestServer s;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    int refused = 0;
    // Each from a new client id: a refusal must leave no state behind (the same id would work too).
    std::uint64_t next_id = 100;
    for (double bad : {nan, inf, -inf, -1.0, -1e-300}) {
      CheckError(s.Post(EventsBatch(Id(next_id++), 1, {{"click", bad}})), 400, "invalid_value");
      ++refused;
    }
    // Histogram sums (a negative sum is fine: observations may be negative), and gauges.
    for (double bad : {nan, inf, -inf}) {
      CheckError(s.Post(LatencyBatch(Id(next_id++), 1, glk_obs_test::LatencyBuckets(), {1, 0, 0, 0}, bad)),
                 400, "invalid_value");
      CheckError(s.Post(MakeBatch(Id(next_id++), 1, 0, bad)), 400, "invalid_value");
      refused += 2;
    }
    // One bad series in an otherwise good batch: the whole batch is refused.
    CheckError(s.Post(EventsBatch(Id(1), 1, {{"click", 5}, {"scroll", nan}})), 400, "invalid_value");
    ++refused;
    const std::string metrics = s.Metrics();
    CHECK(std::isnan(glk_obs_test::SampleValue(metrics, kEvents)));  // never created
    CHECK(std::isnan(glk_obs_test::SampleValue(metrics, kLatencyCount)));
    CHECK(glk_obs_test::SampleValue(
              metrics, "golivekit_client_ingest_rejections_total{reason=\"invalid_value\"}") == refused);
    CHECK(s.client->tracked_clients() == 0);
    // The same client and sequence, fixed, is applied (a refusal changes nothing).
    CheckApplied(s.Post(EventsBatch(Id(1), 1, {{"click", 5}})));
    CHECK(s.Value(kEvents) == 5);
  }

  TEST_CASE("hostile: out-of-order and replayed sequences: each applied once, stale ones 409") {
    IngestServer s;
    double expected = 0;
    auto post = [&](std::uint64_t seq, const std::string& result) {
      CheckApplied(s.Post(MakeBatch(Id(7), seq, static_cast<double>(seq))), result);
      if (result == "applied") expected += static_cast<double>(seq);
    };
    post(5, "applied");
    post(3, "applied");  // out of order, within the window
    post(4, "applied");
    post(5, "duplicate");
    post(3, "duplicate");
    post(200, "applied");
    CheckError(s.Post(MakeBatch(Id(7), 100, 100)), 409, "stale_sequence");  // 100 behind the newest
    CheckError(s.Post(MakeBatch(Id(7), 3, 3)), 409, "stale_sequence");  // applied, but out of the window now
    post(150, "applied");                                               // 50 behind: within the window
    post(150, "duplicate");
    // A replay storm of everything: nothing counts twice.
    for (int round = 0; round < 20; ++round) {
      for (std::uint64_t seq : {150, 200}) post(seq, "duplicate");
    }
    CHECK(s.Value(kEvents) == expected);
    auto res = s.Post(MakeBatch(Id(7), 0, 1));  // sequences start at 1
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK(s.Value(kEvents) == expected);
  }

  TEST_CASE("hostile: rate limits per client (429) and per address (429): others and scrapes unaffected") {
    obs::ClientMetricsOpts opts = ClientOpts();
    opts.rate_per_second = 1;
    opts.rate_burst = 10;
    // Per client: a burst of 100 batches from one id.
    {
      IngestServer s({.address_rate_per_second = 0}, opts);
      int applied = 0;
      int limited = 0;
      for (std::uint64_t seq = 1; seq <= 100; ++seq) {
        auto res = s.Post(MakeBatch(Id(1), seq, 1));
        REQUIRE(res);
        if (res->status == 200) ++applied;
        if (res->status == 429) {
          ++limited;
          CHECK(res->has_header("Retry-After"));
        }
      }
      MESSAGE("per-client flood: 100 batches, " << applied << " applied, " << limited
                                                << " rate_limited (429)");
      CHECK(applied >= 10);
      CHECK(applied <= 15);
      CHECK(applied + limited == 100);
      CheckApplied(s.Post(MakeBatch(Id(2), 1, 1)));  // another client is not limited
      CHECK(s.Value(kEvents) == applied + 1);
    }
    // Per address: new ids from one address.
    {
      opts.rate_per_second = 0;
      IngestServer s({.address_rate_per_second = 1, .address_burst = 20}, opts);
      int applied = 0;
      int limited = 0;
      for (std::uint64_t i = 0; i < 200; ++i) {
        auto res = s.Post(MakeBatch(Id(100 + i), 1, 1));
        REQUIRE(res);
        if (res->status == 200) ++applied;
        if (res->status == 429) ++limited;
      }
      MESSAGE("per-address flood: 200 new ids, " << applied << " applied, " << limited
                                                 << " rate_limited (429)");
      CHECK(applied >= 20);
      CHECK(applied <= 25);
      CHECK(applied + limited == 200);
      CHECK(s.client->tracked_clients() == static_cast<std::size_t>(applied));
      double took = TimedScrape(s.port);  // scrapes are not rate limited
      CHECK(took < 2);
    }
  }

  TEST_CASE("hostile: bodies past the cap: 413 from the headers, connection closed, bounded memory") {
    IngestServer s({.address_rate_per_second = 0});
    (void)s.Metrics();
    const std::size_t n = glk_obs_test::Scaled(2000);
    const std::size_t rss_before = glk_obs_test::RssKib();
    int status_413 = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const int fd = glk_obs_test::ConnectLoopback(s.port);
      // Declares 100 MB, sends 256 KiB of it.
      glk_obs_test::SendAll(fd, PostHeaders(100u << 20) + std::string(256 * 1024 * (i % 2), 'x'));
      bool closed = false;
      const std::string response = glk_obs_test::ReadUntilClosed(fd, 5000ms, &closed);
      ::close(fd);
      if (glk_obs_test::StatusOf(response) == 413) ++status_413;
      CHECK(closed);
    }
    const std::size_t rss_after = glk_obs_test::RssKib();
    MESSAGE("oversized bodies: " << n << " requests declaring 100 MB: " << status_413 << " answered 413");
    CHECK(status_413 >= static_cast<int>(n * 9 / 10));  // the others: reset while we were still sending
    ReportRss("oversized bodies", rss_before, rss_after, 8);
    CheckApplied(s.Post(MakeBatch(Id(1), 1, 1)));
  }

  // Every worker answers 413 and closes the connection at the same time. These answers are the only
  // chunked responses (CloseAfterResponse in native/src/ingest.cc), so under the tsan preset this is
  // also the regression test of tests/sanitizers/tsan.supp: without it, TSan falsely reports the
  // library's lazily built chunk terminator as a race between two workers in nearly every run.
  TEST_CASE("hostile: every worker answering 413 at once: each connection closed, nothing merged") {
    constexpr int kThreads = 8;
    constexpr int kClients = 16;
    constexpr int kRounds = 4;
    IngestServer s({.address_rate_per_second = 0}, ClientOpts(), kThreads);
    std::atomic<int> ready{0};
    std::atomic<int> status_413{0};
    std::atomic<int> closed_count{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&] {
        ready.fetch_add(1);
        while (ready.load() < kClients) std::this_thread::yield();
        for (int r = 0; r < kRounds; ++r) {
          const int fd = glk_obs_test::ConnectLoopback(s.port);
          glk_obs_test::SendAll(fd, PostHeaders(100u << 20));
          bool closed = false;
          const std::string response = glk_obs_test::ReadUntilClosed(fd, 10000ms, &closed);
          ::close(fd);
          if (glk_obs_test::StatusOf(response) == 413) status_413.fetch_add(1);
          if (closed) closed_count.fetch_add(1);
        }
      });
    }
    for (auto& t : clients) t.join();
    CHECK(status_413.load() == kClients * kRounds);
    CHECK(closed_count.load() == kClients * kRounds);
    CHECK(std::isnan(glk_obs_test::SampleValue(s.Metrics(), kEvents)));  // nothing was merged
    CheckApplied(s.Post(MakeBatch(Id(1), 1, 1)));
  }

  TEST_CASE("hostile: slowloris bodies a byte a second end at body_timeout (408), scrapes get through") {
    obs::IngestOpts opts{.body_timeout = 1500ms, .address_rate_per_second = 0};
    constexpr int kThreads = 4;
    constexpr int kAttackers = 8;  // twice the pool
    IngestServer s(opts, ClientOpts(), kThreads);
    std::vector<int> status(kAttackers, 0);
    std::vector<double> lasted(kAttackers, 0);
    std::vector<std::thread> attackers;
    const auto start = Clock::now();
    for (int a = 0; a < kAttackers; ++a) {
      attackers.emplace_back([&, a] {
        const int fd = glk_obs_test::ConnectLoopback(s.port);
        const auto begin = Clock::now();
        glk_obs_test::SendAll(fd, PostHeaders(60000));
        std::string response;
        for (int second = 0; second < 20 && response.empty(); ++second) {
          if (!glk_obs_test::SendAll(fd, "x")) break;
          response = glk_obs_test::ReadUntilClosed(fd, 1000ms);
        }
        response += glk_obs_test::ReadUntilClosed(fd, 2000ms);
        status[static_cast<std::size_t>(a)] = glk_obs_test::StatusOf(response);
        lasted[static_cast<std::size_t>(a)] = glk_obs_test::Seconds(Clock::now() - begin);
        ::close(fd);
      });
    }
    std::this_thread::sleep_for(300ms);  // every worker now holds a slow body
    const double scrape = TimedScrape(s.port);
    for (auto& t : attackers) t.join();
    const double attack = glk_obs_test::Seconds(Clock::now() - start);
    double longest = 0;
    for (int a = 0; a < kAttackers; ++a) {
      CHECK(status[static_cast<std::size_t>(a)] == 408);
      longest = std::max(longest, lasted[static_cast<std::size_t>(a)]);
    }
    MESSAGE("slowloris: " << kAttackers << " bodies at 1 byte/s against " << kThreads
                          << " workers, body_timeout 1.5 s: each ended with 408 after at most " << longest
                          << " s; a scrape during the attack took " << scrape << " s; attack over in "
                          << attack << " s");
    // A slow body holds a worker at most body_timeout + one byte's wait; the scrape waited for at most
    // two rounds of them.
    CHECK(longest < 2 * 2.5 + 0.5);
    // Counted as what happened (no batch reached the engine), never as a malformed batch.
    const std::string metrics = s.Metrics();
    CHECK(glk_obs_test::SampleValue(
              metrics, "golivekit_client_ingest_rejections_total{reason=\"body_timeout\"}") == kAttackers);
    CHECK(glk_obs_test::SampleValue(metrics,
                                    "golivekit_client_ingest_rejections_total{reason=\"malformed\"}") == 0);
    CHECK(scrape < 2 * 2.5 + 1);
    CheckApplied(s.Post(MakeBatch(Id(1), 1, 1)));
  }

  TEST_CASE("hostile: more idle and slow connections than worker threads: a scrape still gets through") {
    constexpr int kThreads = 4;
    constexpr int kIdle = 12;
    constexpr int kSlow = 4;
    auto registry = obs::NewRegistry();
    auto client = obs::NewClientMetrics(ClientOpts());
    REQUIRE(registry->Register(client).ok());
    obs::Status error;
    obs::ServerOpts server_opts;  // field by field: g++ 12 warns about a designated ServerOpts
    server_opts.port = 0;
    server_opts.threads = kThreads;
    server_opts.client_metrics = client;
    server_opts.ingest = obs::IngestOpts{.body_timeout = 1000ms, .address_rate_per_second = 0};
    auto exporter = obs::Exporter::Start(registry, server_opts, &error);
    REQUIRE_MESSAGE(exporter, error.ToString());
    std::vector<int> fds;
    for (int i = 0; i < kIdle; ++i)
      fds.push_back(glk_obs_test::ConnectLoopback(exporter->port()));  // say nothing
    std::atomic<bool> stop{false};
    std::vector<std::thread> slow;
    for (int i = 0; i < kSlow; ++i) {
      slow.emplace_back([&] {
        while (!stop.load()) {  // a new slow body as soon as the previous one is cut off
          const int fd = glk_obs_test::ConnectLoopback(exporter->port());
          glk_obs_test::SendAll(fd, PostHeaders(60000));
          while (!stop.load() && glk_obs_test::SendAll(fd, "x") &&
                 glk_obs_test::ReadUntilClosed(fd, 250ms).empty()) {
          }
          ::close(fd);
        }
      });
    }
    std::this_thread::sleep_for(200ms);
    double worst = 0;
    for (int i = 0; i < 3; ++i) worst = std::max(worst, TimedScrape(exporter->port()));
    stop.store(true);
    for (auto& t : slow) t.join();
    for (int fd : fds) ::close(fd);
    MESSAGE("pool: " << kIdle << " idle + " << kSlow << " slow-body connections against " << kThreads
                     << " workers (keep-alive timeout 1 s, body_timeout 1 s): slowest of 3 scrapes " << worst
                     << " s");
    // Each connection ahead of the scrape holds a worker at most ~1 s: (12 + 4) / 4 rounds.
    CHECK(worst < (kIdle + kSlow) / kThreads * 1.5 + 1);
  }
}
