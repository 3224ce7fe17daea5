// Native histogram buckets: the tables that record them and the fold into spans that a scrape exposes.
#include "record/native_buckets.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "golivekit/observability/detail/native_cells.h"
#include "golivekit/observability/snapshot.h"

namespace golivekit::observability::detail {

// Generated as the correctly rounded double of 2^(j/256)/2 (60-digit decimal arithmetic); a test checks
// each entry against std::exp2 within one unit in the last place and the nesting of the coarser schemas.
const double kNativeFractions[256] = {
    0.5,
    0.5013556375251013,
    0.5027149505564014,
    0.5040779490592088,
    0.5054446430258502,
    0.5068150424757447,
    0.5081891574554765,
    0.509566998038869,
    0.5109485743270583,
    0.5123338964485679,
    0.5137229745593819,
    0.5151158188430205,
    0.5165124395106142,
    0.5179128468009786,
    0.5193170509806894,
    0.520725062344158,
    0.5221368912137069,
    0.5235525479396449,
    0.5249720429003436,
    0.5263953865023132,
    0.5278225891802786,
    0.5292536613972564,
    0.530688613644631,
    0.5321274564422322,
    0.5335702003384118,
    0.5350168559101209,
    0.5364674337629878,
    0.5379219445313955,
    0.5393803988785599,
    0.5408428074966076,
    0.5423091811066546,
    0.5437795304588848,
    0.5452538663326288,
    0.5467321995364429,
    0.5482145409081884,
    0.549700901315111,
    0.5511912916539204,
    0.5526857228508706,
    0.5541842058618394,
    0.5556867516724088,
    0.5571933712979462,
    0.5587040757836846,
    0.5602188762048034,
    0.56173778366651,
    0.5632608093041209,
    0.564787964283144,
    0.5663192597993596,
    0.5678547070789027,
    0.5693943173783458,
    0.5709381019847808,
    0.5724860722159021,
    0.5740382394200895,
    0.5755946149764913,
    0.577155210295108,
    0.5787200368168756,
    0.5802891060137494,
    0.5818624293887887,
    0.5834400184762408,
    0.5850218848416251,
    0.5866080400818187,
    0.5881984958251406,
    0.5897932637314379,
    0.5913923554921705,
    0.5929957828304969,
    0.5946035575013605,
    0.5962156912915756,
    0.5978321960199137,
    0.5994530835371903,
    0.6010783657263515,
    0.6027080545025619,
    0.6043421618132908,
    0.6059806996384006,
    0.6076236799902345,
    0.6092711149137042,
    0.6109230164863788,
    0.6125793968185728,
    0.614240268053435,
    0.6159056423670379,
    0.6175755319684667,
    0.6192499490999083,
    0.620928906036742,
    0.622612415087629,
    0.6243004885946024,
    0.6259931389331581,
    0.6276903785123455,
    0.6293922197748583,
    0.6310986751971254,
    0.6328097572894031,
    0.6345254785958666,
    0.6362458516947014,
    0.637970889198196,
    0.6397006037528347,
    0.6414350080393891,
    0.6431741147730128,
    0.6449179367033329,
    0.6466664866145447,
    0.6484197773255048,
    0.6501778216898253,
    0.6519406325959679,
    0.6537082229673387,
    0.6554806057623822,
    0.6572577939746773,
    0.659039800633032,
    0.6608266388015788,
    0.6626183215798707,
    0.6644148621029772,
    0.6662162735415808,
    0.6680225691020729,
    0.6698337620266515,
    0.6716498655934177,
    0.6734708931164729,
    0.6752968579460172,
    0.6771277734684463,
    0.6789636531064506,
    0.6808045103191124,
    0.682650358602006,
    0.6845012114872953,
    0.6863570825438342,
    0.6882179853772651,
    0.690083933630119,
    0.691954940981916,
    0.6938310211492645,
    0.6957121878859631,
    0.6975984549831001,
    0.6994898362691556,
    0.7013863456101024,
    0.7032879969095077,
    0.7051948041086353,
    0.7071067811865476,
    0.7090239421602076,
    0.7109463010845828,
    0.7128738720527471,
    0.714806669195985,
    0.7167447066838945,
    0.7186879987244912,
    0.7206365595643128,
    0.7225904034885233,
    0.7245495448210175,
    0.7265139979245263,
    0.7284837772007219,
    0.7304588970903235,
    0.7324393720732029,
    0.7344252166684909,
    0.7364164454346838,
    0.7384130729697497,
    0.7404151139112359,
    0.7424225829363762,
    0.7444354947621985,
    0.7464538641456324,
    0.7484777058836177,
    0.7505070348132128,
    0.7525418658117032,
    0.7545822137967114,
    0.7566280937263049,
    0.7586795205991074,
    0.7607365094544073,
    0.7627990753722692,
    0.7648672334736435,
    0.766940998920478,
    0.7690203869158284,
    0.7711054127039704,
    0.7731960915705107,
    0.7752924388425,
    0.7773944698885443,
    0.7795022001189185,
    0.7816156449856788,
    0.7837348199827765,
    0.7858597406461707,
    0.7879904225539432,
    0.7901268813264123,
    0.7922691326262469,
    0.794417192158582,
    0.7965710756711335,
    0.7987307989543135,
    0.8008963778413467,
    0.8030678282083855,
    0.8052451659746271,
    0.8074284071024304,
    0.8096175675974319,
    0.8118126635086644,
    0.8140137109286739,
    0.8162207259936375,
    0.8184337248834822,
    0.8206527238220032,
    0.8228777390769825,
    0.8251087869603089,
    0.8273458838280972,
    0.8295890460808081,
    0.8318382901633682,
    0.8340936325652912,
    0.8363550898207983,
    0.8386226785089392,
    0.8408964152537145,
    0.8431763167241967,
    0.8454623996346526,
    0.8477546807446663,
    0.8500531768592617,
    0.8523579048290256,
    0.8546688815502315,
    0.856986123964963,
    0.859309649061239,
    0.861639473873137,
    0.8639756154809188,
    0.8663180910111555,
    0.8686669176368531,
    0.8710221125775782,
    0.8733836930995845,
    0.8757516765159391,
    0.8781260801866497,
    0.880506921518792,
    0.8828942179666364,
    0.8852879870317774,
    0.8876882462632606,
    0.8900950132577122,
    0.8925083056594675,
    0.8949281411607005,
    0.8973545375015536,
    0.8997875124702676,
    0.902227083903312,
    0.904673269685516,
    0.9071260877501994,
    0.9095855560793042,
    0.9120516927035267,
    0.9145245157024486,
    0.9170040432046712,
    0.9194902933879469,
    0.921983284479313,
    0.9244830347552254,
    0.9269895625416927,
    0.9295028862144102,
    0.9320230241988945,
    0.9345499949706193,
    0.93708381705515,
    0.9396245090282801,
    0.9421720895161673,
    0.9447265771954696,
    0.9472879907934828,
    0.9498563490882777,
    0.9524316709088371,
    0.9550139751351949,
    0.9576032806985737,
    0.9601996065815237,
    0.9628029718180625,
    0.9654133954938136,
    0.9680308967461472,
    0.9706554947643202,
    0.9732872087896166,
    0.9759260581154892,
    0.9785720620877001,
    0.9812252401044637,
    0.9838856116165879,
    0.9865531961276172,
    0.9892280131939755,
    0.9919100824251097,
    0.9945994234836332,
    0.9972960560854701,
};

namespace {

// Tables start small and double while a series' buckets are few, so that a series with a handful of
// buckets costs a few hundred bytes rather than the room its limit allows.
constexpr std::uint32_t kFirstCapacity = 16;

// At schema -4 there are 133 bucket indexes per sign between the smallest subnormal and +Inf: the last
// table can always take every key, so an observation is never refused once resolution cannot drop further.
constexpr std::uint32_t kKeysAtLowestSchema = 2 * 133;

// Capacity twice the limit keeps probe sequences short and always leaves an empty slot.
std::uint32_t CapacityFor(std::uint32_t limit) { return std::bit_ceil(std::max(2 * limit, kFirstCapacity)); }

// The table that follows `full`: same schema with twice the room while below max_buckets, then one schema
// lower (buckets twice as wide), and at the lowest schema one that takes every possible key.
std::unique_ptr<NativeTable> Successor(const NativeConfig& config, NativeTable* full) {
  std::int32_t schema = config.schema;
  std::uint32_t limit = std::min(kFirstCapacity / 2, config.max_buckets);
  if (full != nullptr) {
    schema = full->schema;
    if (full->limit < config.max_buckets) {
      limit = std::min(2 * full->limit, config.max_buckets);
    } else if (schema > kNativeSchemaMin) {
      schema -= 1;
      limit = config.max_buckets;
    } else {
      limit = std::max(2 * full->limit, kKeysAtLowestSchema);
    }
  }
  return std::make_unique<NativeTable>(schema, CapacityFor(limit), limit);
}

// The keys of `from`, at `to`'s schema, so that `to` knows how many buckets the series has already.
void CopyKeys(const NativeTable& from, NativeTable& to) {
  const std::int32_t lower_by = from.schema - to.schema;
  for (std::uint32_t i = 0; i <= from.mask; ++i) {
    const std::int64_t key = from.keys[i].load(std::memory_order_acquire);
    if (key == kNoNativeKey) continue;
    const auto index = static_cast<std::int32_t>(key >> 1);
    to.Add(NativeKey(LowerNativeIndex(index, lower_by), (key & 1) != 0), 0);
  }
}

}  // namespace

NativeTable::NativeTable(std::int32_t schema_in, std::uint32_t capacity_pow2, std::uint32_t limit_in)
    : schema(schema_in),
      mask(capacity_pow2 - 1),
      limit(limit_in),
      keys(new std::atomic<std::int64_t>[capacity_pow2]),
      counts(new std::atomic<std::uint64_t>[capacity_pow2]) {
  for (std::uint32_t i = 0; i < capacity_pow2; ++i) {
    keys[i].store(kNoNativeKey, std::memory_order_relaxed);
    counts[i].store(0, std::memory_order_relaxed);
  }
}

NativeTable* NativeBucketsCell::Replace(NativeTable* full) noexcept {
  std::unique_ptr<NativeTable> next = Successor(*config, full);
  if (full != nullptr) CopyKeys(*full, *next);
  // The new head owns the chain below it. If another thread installed a successor first, ours was never
  // visible to anyone: it gives the chain back and is dropped.
  next->older = full;
  NativeTable* expected = full;
  if (head.compare_exchange_strong(expected, next.get(), std::memory_order_acq_rel,
                                   std::memory_order_acquire)) {
    return next.release();
  }
  next->older = nullptr;
  return expected;
}

std::int32_t PickNativeSchema(double factor) noexcept {
  const double floor = std::floor(std::log2(std::log2(factor)));
  if (floor <= -kNativeSchemaMax) return kNativeSchemaMax;
  if (floor >= -kNativeSchemaMin) return kNativeSchemaMin;
  return -static_cast<std::int32_t>(floor);
}

namespace {

struct Bucket {
  bool negative;
  std::int32_t index;
  std::uint64_t count;
};

// Every non-empty bucket of the chain at the head's schema, unsorted, possibly repeated.
std::int32_t CollectBuckets(const NativeBucketsCell& cell, std::vector<Bucket>& out) {
  const NativeTable* head = cell.head.load(std::memory_order_acquire);
  const std::int32_t schema = head != nullptr ? head->schema : cell.config->schema;
  for (const NativeTable* t = head; t != nullptr; t = t->older) {
    for (std::uint32_t i = 0; i <= t->mask; ++i) {
      const std::int64_t key = t->keys[i].load(std::memory_order_acquire);
      if (key == kNoNativeKey) continue;
      const std::uint64_t n = t->counts[i].load(std::memory_order_relaxed);
      if (n == 0) continue;
      const auto index = static_cast<std::int32_t>(key >> 1);
      out.push_back({(key & 1) != 0, LowerNativeIndex(index, t->schema - schema), n});
    }
  }
  return schema;
}

// Sorts by sign then index and adds up repeated buckets.
void SortAndMerge(std::vector<Bucket>& b) {
  std::sort(b.begin(), b.end(), [](const Bucket& x, const Bucket& y) {
    return x.negative != y.negative ? y.negative : x.index < y.index;
  });
  std::size_t w = 0;
  for (std::size_t r = 0; r < b.size(); ++r) {
    if (w > 0 && b[w - 1].negative == b[r].negative && b[w - 1].index == b[r].index) {
      b[w - 1].count += b[r].count;
    } else {
      b[w++] = b[r];
    }
  }
  b.resize(w);
}

void LowerBy1(std::vector<Bucket>& b) {
  for (Bucket& x : b) x.index = LowerNativeIndex(x.index, 1);
  SortAndMerge(b);
}

// Spans and counts of one sign's buckets, sorted by index.
void AppendSpans(const Bucket* first, const Bucket* last, std::vector<NativeSpan>& spans,
                 std::vector<std::uint64_t>& counts) {
  constexpr std::int32_t kMaxFilledGap = 2;
  std::int32_t next = 0;  // index just after the last bucket written
  for (const Bucket* b = first; b != last; ++b) {
    const std::int32_t gap = b->index - next;
    if (spans.empty() || gap > kMaxFilledGap) {
      spans.push_back({spans.empty() ? b->index : gap, 0});
    } else {
      counts.insert(counts.end(), static_cast<std::size_t>(gap), 0);
      spans.back().length += static_cast<std::uint32_t>(gap);
    }
    counts.push_back(b->count);
    spans.back().length += 1;
    next = b->index + 1;
  }
}

}  // namespace

std::uint64_t ReadNativeBuckets(const NativeBucketsCell& cell, NativeBuckets& out) {
  // The gatherer reuses one buffer per thread: a scrape reads every series through it.
  thread_local std::vector<Bucket> buckets;
  buckets.clear();
  std::int32_t schema = CollectBuckets(cell, buckets);
  out.zero_count = cell.zero_count.load(std::memory_order_relaxed);
  std::uint64_t total = out.zero_count + cell.nan_count.load(std::memory_order_relaxed);
  SortAndMerge(buckets);
  while (buckets.size() > cell.config->max_buckets && schema > kNativeSchemaMin) {
    LowerBy1(buckets);
    --schema;
  }
  out.schema = schema;
  out.zero_threshold = cell.config->zero_threshold;
  out.positive_spans.clear();
  out.positive_counts.clear();
  out.negative_spans.clear();
  out.negative_counts.clear();
  const auto split = std::find_if(buckets.begin(), buckets.end(), [](const Bucket& b) { return b.negative; });
  AppendSpans(buckets.data(), buckets.data() + (split - buckets.begin()), out.positive_spans,
              out.positive_counts);
  AppendSpans(buckets.data() + (split - buckets.begin()), buckets.data() + buckets.size(), out.negative_spans,
              out.negative_counts);
  for (const Bucket& b : buckets) total += b.count;
  return total;
}

std::uint64_t NativeObservationCount(const NativeBucketsCell& cell) noexcept {
  std::uint64_t total =
      cell.zero_count.load(std::memory_order_relaxed) + cell.nan_count.load(std::memory_order_relaxed);
  for (const NativeTable* t = cell.head.load(std::memory_order_acquire); t != nullptr; t = t->older) {
    for (std::uint32_t i = 0; i <= t->mask; ++i) total += t->counts[i].load(std::memory_order_relaxed);
  }
  return total;
}

}  // namespace golivekit::observability::detail
