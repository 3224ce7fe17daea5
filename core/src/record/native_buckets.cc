// Native histogram buckets: the tables that record them and the fold into spans that a scrape exposes.
#include "record/native_buckets.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "golivekit/observability/detail/native_cells.h"
#include "golivekit/observability/snapshot.h"
#include "snapshot/native_spans.h"

namespace golivekit::observability::detail {

namespace {

// Tables start small and double while a series' buckets are few, so that a series with a handful of
// buckets costs a few hundred bytes rather than the room its limit allows.
constexpr std::uint32_t kFirstCapacity = 16;

// At schema -4 there are 133 bucket indexes per sign between the smallest subnormal and +Inf: the last
// table can always take every key, so an observation is never refused once resolution cannot drop further.
constexpr std::uint32_t kKeysAtLowestSchema = 2 * 133;

// The table that follows `full` (null: the first): same schema with twice the room while below
// max_buckets, then one schema lower (buckets twice as wide), and at the lowest schema one that takes every
// possible key. Plain comparisons rather than std::min/max and bit_ceil: each of those is an out-of-line
// call with its operands in memory in the WebAssembly module.
NativeTable* Successor(const NativeConfig& config, const NativeTable* full) {
  const std::uint32_t max = config.max_buckets;
  std::int32_t schema = full != nullptr ? full->schema : config.schema;
  std::uint32_t limit = full != nullptr ? 2 * full->limit : kFirstCapacity / 2;
  if (full == nullptr || full->limit < max) {
    if (limit > max) limit = max;
  } else if (schema > kNativeSchemaMin) {
    schema -= 1;
    limit = max;
  } else if (limit < kKeysAtLowestSchema) {
    limit = kKeysAtLowestSchema;
  }
  // Capacity at least twice the limit keeps probe sequences short and always leaves an empty slot.
  std::uint32_t capacity = kFirstCapacity;
  while (capacity < 2 * limit) capacity *= 2;
  return new NativeTable(schema, capacity, limit);
}

// The keys of `from`, at `to`'s schema, so that `to` knows how many buckets the series has already.
void CopyKeys(const NativeTable& from, NativeTable& to) {
  const std::int32_t lower_by = from.schema - to.schema;
  for (const NativeSlot *s = from.slots, *end = s + from.mask + 1; s != end; ++s) {
    const std::int64_t key = s->key.load(std::memory_order_acquire);
    if (key == kNoNativeKey) continue;
    to.Add(NativeKey(LowerNativeIndex(static_cast<std::int32_t>(key >> 1), lower_by), (key & 1) != 0), 0);
  }
}

}  // namespace

NativeTable* NativeBucketsCell::Replace(NativeTable* full) noexcept {
  NativeTable* next = Successor(*config, full);
  if (full != nullptr) CopyKeys(*full, *next);
  // The new head owns the chain below it. If another thread installed a successor first, ours was never
  // visible to anyone: it gives the chain back and is dropped.
  next->older = full;
  NativeTable* expected = full;
  if (head.compare_exchange_strong(expected, next, std::memory_order_acq_rel, std::memory_order_acquire)) {
    return next;
  }
  next->older = nullptr;
  delete next;
  return expected;
}

namespace {

// Double-double arithmetic (a value as an unevaluated sum hi + lo, about 106 bits): enough to round
// 2^(j/256) correctly, with nothing but IEEE + - * /, which every target computes identically. A
// computed table costs the WebAssembly module less than 256 stored doubles.
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

// 2^(1/256) in double-double, written out rather than computed (eight square roots of 2, each refined
// by a Newton step in this arithmetic, give exactly these two doubles): the module then carries no
// square-root code. The fraction-table test checks every entry to the last bit.
constexpr DoubleDouble kStep{0x1.00b1afa5abcbfp+0, -0x1.4f6b2a7609f71p-55};

struct FractionTable {
  FractionTable() noexcept {
    DoubleDouble power{1, 0};
    for (double& v : values) {
      v = (power.hi + power.lo) / 2;
      power = Multiply(power, kStep);
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

// A read takes two words of scratch: the bucket's key at the head's schema, biased so that unsigned order
// is key order (each sign's buckets ascending by index, the signs interleaved), then its count.
constexpr std::uint64_t kKeyBias = std::uint64_t{1} << 63;

// Every non-empty bucket of the chain at the head's schema, unsorted, possibly repeated; adds their counts
// to `total`.
std::int32_t CollectBuckets(const NativeBucketsCell& cell, std::vector<std::uint64_t>& reads,
                            std::uint64_t& total) {
  const NativeTable* head = cell.head.load(std::memory_order_acquire);
  const std::int32_t schema = head != nullptr ? head->schema : cell.config->schema;
  for (const NativeTable* t = head; t != nullptr; t = t->older) {
    for (std::uint32_t i = 0; i <= t->mask; ++i) {
      const std::int64_t key = t->slots[i].key.load(std::memory_order_acquire);
      if (key == kNoNativeKey) continue;
      const std::uint64_t n = t->slots[i].count.load(std::memory_order_relaxed);
      if (n == 0) continue;
      const auto index = static_cast<std::int32_t>(key >> 1);
      // push_back, as SpanWriter appends counts: one growth path of a vector of words in the module.
      reads.push_back(
          static_cast<std::uint64_t>(NativeKey(LowerNativeIndex(index, t->schema - schema), (key & 1) != 0)) ^
          kKeyBias);
      reads.push_back(std::uint64_t{n});
      total += n;
    }
  }
  return schema;
}

void SwapReads(std::uint64_t* r, std::size_t a, std::size_t b) {
  std::swap(r[2 * a], r[2 * b]);
  std::swap(r[2 * a + 1], r[2 * b + 1]);
}

// Heapsort by key: O(n log n) without the several KB a std::sort instantiation adds to the module. One
// loop builds the heap (k >= n) and then takes the largest out (k < n), so the sift is written once.
void SortReads(std::vector<std::uint64_t>& reads) {
  std::uint64_t* r = reads.data();
  const std::size_t n = reads.size() / 2;
  for (std::size_t k = n + n / 2; k-- > 1;) {
    std::size_t root = 0, size = k;
    if (k >= n) {
      root = k - n;
      size = n;
    } else {
      SwapReads(r, 0, k);
    }
    for (std::size_t child; (child = 2 * root + 1) < size; root = child) {
      if (child + 1 < size && r[2 * child] < r[2 * child + 2]) ++child;
      if (!(r[2 * root] < r[2 * child])) break;
      SwapReads(r, root, child);
    }
  }
}

// Writes the sorted reads into `out`'s spans, `by` schemas below theirs; returns how many buckets that
// makes.
std::size_t FoldReads(const std::vector<std::uint64_t>& reads, std::int32_t by, NativeBuckets& out) {
  for (auto* v : {&out.positive_counts, &out.negative_counts}) v->clear();
  for (auto* v : {&out.positive_spans, &out.negative_spans}) v->clear();
  SpanWriter sides[2] = {{out.positive_spans, out.positive_counts},
                         {out.negative_spans, out.negative_counts}};
  std::size_t buckets = 0;
  for (std::size_t i = 0; i < reads.size(); i += 2) {
    const auto key = static_cast<std::int64_t>(reads[i] ^ kKeyBias);
    buckets += sides[key & 1].Add(LowerNativeIndex(static_cast<std::int32_t>(key >> 1), by), reads[i + 1]);
  }
  return buckets;
}

}  // namespace

std::uint64_t ReadNativeBuckets(const NativeBucketsCell& cell, NativeBuckets& out,
                                std::vector<NativeBucketRead>& scratch) {
  scratch.clear();
  std::uint64_t total = 0;
  const std::int32_t schema = CollectBuckets(cell, scratch, total);
  out.zero_count = cell.zero_count.load(std::memory_order_relaxed);
  total += out.zero_count + cell.nan_count.load(std::memory_order_relaxed);
  SortReads(scratch);
  // Lowering keeps the reads in order (it is monotonic), so each try only folds them again.
  std::int32_t by = 0;
  while (FoldReads(scratch, by, out) > cell.config->max_buckets && schema - by > kNativeSchemaMin) ++by;
  out.schema = schema - by;
  out.zero_threshold = cell.config->zero_threshold;
  return total;
}

std::uint64_t NativeObservationCount(const NativeBucketsCell& cell) noexcept {
  std::uint64_t total =
      cell.zero_count.load(std::memory_order_relaxed) + cell.nan_count.load(std::memory_order_relaxed);
  for (const NativeTable* t = cell.head.load(std::memory_order_acquire); t != nullptr; t = t->older) {
    for (std::uint32_t i = 0; i <= t->mask; ++i) total += t->slots[i].count.load(std::memory_order_relaxed);
  }
  return total;
}

}  // namespace golivekit::observability::detail
