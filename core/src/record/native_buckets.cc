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

namespace {

// Double-double arithmetic (a value as an unevaluated sum hi + lo, about 106 bits): enough to round
// 2^(j/256) correctly, with nothing but IEEE + - * / and sqrt, which every target computes identically.
// A computed table costs the WebAssembly module less than 256 stored doubles.
struct DoubleDouble {
  double hi, lo;
};

DoubleDouble Normalize(double hi, double lo) {
  const double s = hi + lo;
  return {s, lo - (s - hi)};
}

// The exact product of two doubles (Dekker's splitting: WebAssembly has no fused multiply-add).
DoubleDouble ExactProduct(double a, double b) {
  constexpr double kSplit = 134217729.0;  // 2^27 + 1
  const double p = a * b;
  const double ta = kSplit * a, ah = ta - (ta - a), al = a - ah;
  const double tb = kSplit * b, bh = tb - (tb - b), bl = b - bh;
  return {p, ((ah * bh - p) + ah * bl + al * bh) + al * bl};
}

DoubleDouble Multiply(DoubleDouble x, DoubleDouble y) {
  const DoubleDouble p = ExactProduct(x.hi, y.hi);
  return Normalize(p.hi, p.lo + (x.hi * y.lo + x.lo * y.hi));
}

// One Newton step from the double square root doubles its precision.
DoubleDouble SquareRoot(DoubleDouble a) {
  const double x = std::sqrt(a.hi);
  const DoubleDouble x2 = ExactProduct(x, x);
  return Normalize(x, ((a.hi - x2.hi) - x2.lo + a.lo) / (2 * x));
}

struct FractionTable {
  FractionTable() noexcept {
    DoubleDouble step{2, 0};
    for (int i = 0; i < 8; ++i) step = SquareRoot(step);  // 2^(1/256)
    DoubleDouble power{1, 0};
    for (double& v : values) {
      v = (power.hi + power.lo) / 2;
      power = Multiply(power, step);
    }
  }
  double values[256];
};

}  // namespace

const double* NativeFractions() noexcept {
  static const FractionTable table;
  return table.values;
}

std::int32_t PickNativeSchema(double factor) noexcept {
  // The coarsest schema whose growth 2^(2^-s) is at most the factor (client_golang's
  // -floor(log2(log2(factor))), without pulling log2 into the WebAssembly module).
  double growth = 65536;  // schema -4
  for (std::int32_t schema = kNativeSchemaMin; schema < kNativeSchemaMax; ++schema) {
    if (growth <= factor) return schema;
    growth = std::sqrt(growth);  // 65536, 256, 16, 4, 2, 2^(1/2), ...
  }
  return kNativeSchemaMax;
}

namespace {

// Sign first, then index: positive buckets ascending, then negative ones.
std::int64_t BucketOrder(bool negative, std::int32_t index) {
  return (negative ? std::int64_t{1} << 40 : 0) + index;
}
bool IsNegative(std::int64_t order) { return order >= (std::int64_t{1} << 39); }
std::int32_t IndexOf(std::int64_t order) {
  return static_cast<std::int32_t>(IsNegative(order) ? order - (std::int64_t{1} << 40) : order);
}

// Every non-empty bucket of the chain at the head's schema, unsorted, possibly repeated.
std::int32_t CollectBuckets(const NativeBucketsCell& cell, std::vector<NativeBucketRead>& out) {
  const NativeTable* head = cell.head.load(std::memory_order_acquire);
  const std::int32_t schema = head != nullptr ? head->schema : cell.config->schema;
  for (const NativeTable* t = head; t != nullptr; t = t->older) {
    for (std::uint32_t i = 0; i <= t->mask; ++i) {
      const std::int64_t key = t->keys[i].load(std::memory_order_acquire);
      if (key == kNoNativeKey) continue;
      const std::uint64_t n = t->counts[i].load(std::memory_order_relaxed);
      if (n == 0) continue;
      const auto index = static_cast<std::int32_t>(key >> 1);
      out.push_back({BucketOrder((key & 1) != 0, LowerNativeIndex(index, t->schema - schema)), n});
    }
  }
  return schema;
}

// Heapsort by order: O(n log n) without the several KB a std::sort instantiation adds to the module.
void SiftDown(NativeBucketRead* b, std::size_t root, std::size_t n) {
  for (std::size_t child; (child = 2 * root + 1) < n; root = child) {
    if (child + 1 < n && b[child].order < b[child + 1].order) ++child;
    if (!(b[root].order < b[child].order)) return;
    std::swap(b[root], b[child]);
  }
}
void HeapSort(std::vector<NativeBucketRead>& v) {
  const std::size_t n = v.size();
  for (std::size_t i = n / 2; i-- > 0;) SiftDown(v.data(), i, n);
  for (std::size_t end = n; end-- > 1;) {
    std::swap(v[0], v[end]);
    SiftDown(v.data(), 0, end);
  }
}

// Sorts and adds up repeated buckets.
void SortAndMerge(std::vector<NativeBucketRead>& b) {
  HeapSort(b);
  std::size_t w = 0;
  for (std::size_t r = 0; r < b.size(); ++r) {
    if (w > 0 && b[w - 1].order == b[r].order) {
      b[w - 1].count += b[r].count;
    } else {
      b[w++] = b[r];
    }
  }
  b.resize(w);
}

void LowerBy1(std::vector<NativeBucketRead>& b) {
  for (NativeBucketRead& x : b)
    x.order = BucketOrder(IsNegative(x.order), LowerNativeIndex(IndexOf(x.order), 1));
  SortAndMerge(b);
}

// Appends one bucket to the spans of its sign.
void AppendBucket(std::int32_t index, std::uint64_t count, std::int32_t& next, std::vector<NativeSpan>& spans,
                  std::vector<std::uint64_t>& counts) {
  constexpr std::int32_t kMaxFilledGap = 2;
  const std::int32_t gap = index - next;
  if (spans.empty() || gap > kMaxFilledGap) {
    spans.push_back({spans.empty() ? index : gap, 0});
  } else {
    for (std::int32_t i = 0; i < gap; ++i) counts.push_back(0);
    spans.back().length += static_cast<std::uint32_t>(gap);
  }
  counts.push_back(count);
  spans.back().length += 1;
  next = index + 1;
}

}  // namespace

std::uint64_t ReadNativeBuckets(const NativeBucketsCell& cell, NativeBuckets& out,
                                std::vector<NativeBucketRead>& scratch) {
  scratch.clear();
  std::int32_t schema = CollectBuckets(cell, scratch);
  out.zero_count = cell.zero_count.load(std::memory_order_relaxed);
  std::uint64_t total = out.zero_count + cell.nan_count.load(std::memory_order_relaxed);
  SortAndMerge(scratch);
  while (scratch.size() > cell.config->max_buckets && schema > kNativeSchemaMin) {
    LowerBy1(scratch);
    --schema;
  }
  out.schema = schema;
  out.zero_threshold = cell.config->zero_threshold;
  out.positive_spans.clear();
  out.positive_counts.clear();
  out.negative_spans.clear();
  out.negative_counts.clear();
  std::int32_t next_positive = 0, next_negative = 0;
  for (const NativeBucketRead& b : scratch) {
    const std::int32_t index = IndexOf(b.order);
    if (IsNegative(b.order)) {
      AppendBucket(index, b.count, next_negative, out.negative_spans, out.negative_counts);
    } else {
      AppendBucket(index, b.count, next_positive, out.positive_spans, out.positive_counts);
    }
    total += b.count;
  }
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
