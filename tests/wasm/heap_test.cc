// The npm module's allocator (wasm/heap.cc), linked here as this program's malloc (-sMALLOC=none): the
// doctest runner allocates through it too. Each case checks what the module relies on, and what the
// JS tests (js/test/memory.test.mjs) cannot reach: calloc, realloc, over-aligned blocks, refusals.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <emscripten/heap.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

extern "C" double glk_heap_in_use();

namespace {

std::size_t InUse() { return static_cast<std::size_t>(glk_heap_in_use()); }
bool Aligned(const void* p, std::size_t a) { return reinterpret_cast<std::uintptr_t>(p) % a == 0; }

// Each byte of a block written with its own value, so that two blocks that overlap show it.
void Fill(void* p, std::size_t n, unsigned char seed) {
  auto* b = static_cast<unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<unsigned char>(seed + i * 7);
}
bool Holds(const void* p, std::size_t n, unsigned char seed) {
  const auto* b = static_cast<const unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i) {
    if (b[i] != static_cast<unsigned char>(seed + i * 7)) return false;
  }
  return true;
}

}  // namespace

TEST_SUITE("heap") {
  TEST_CASE("blocks of every size up to 5000 bytes are 8-aligned and apart and all come back when freed") {
    std::vector<void*> blocks;
    blocks.reserve(5001);
    const std::size_t before = InUse();
    for (std::size_t n = 0; n <= 5000; ++n) {
      void* p = std::malloc(n);
      REQUIRE(p != nullptr);
      CHECK(Aligned(p, 8));
      Fill(p, n, static_cast<unsigned char>(n));
      blocks.push_back(p);
    }
    const std::size_t held = InUse() - before;
    std::size_t asked = 0;
    for (std::size_t n = 0; n <= 5000; ++n) {
      CHECK(Holds(blocks[n], n, static_cast<unsigned char>(n)));
      asked += n + 8;  // a header of 8 bytes before each
    }
    // Sizes are 8 bytes apart up to 64, then four to a doubling: at most a quarter more than asked.
    CHECK(held >= asked);
    CHECK(held <= asked + asked / 4 + 5001 * 8);
    for (void* p : blocks) std::free(p);
    CHECK(InUse() == before);
  }

  TEST_CASE("a freed block serves the next request of its size") {
    void* a = std::malloc(100);
    std::free(a);
    void* b = std::malloc(100);
    CHECK(b == a);
    std::free(b);
    std::free(nullptr);  // nothing to do
  }

  TEST_CASE("calloc zeroes a reused block and refuses a size that overflows") {
    void* dirty = std::malloc(256);
    std::memset(dirty, 0xAB, 256);
    std::free(dirty);
    auto* p = static_cast<unsigned char*>(std::calloc(32, 8));
    REQUIRE(p != nullptr);
    CHECK(static_cast<void*>(p) == dirty);
    for (int i = 0; i < 256; ++i) CHECK(p[i] == 0);
    std::free(p);
    CHECK(std::calloc(SIZE_MAX / 2, 4) == nullptr);
  }

  TEST_CASE("realloc keeps the contents and stays in place while the block has room") {
    const std::size_t before = InUse();
    void* p = std::realloc(nullptr, 37);
    REQUIRE(p != nullptr);
    Fill(p, 37, 3);
    CHECK(std::realloc(p, 40) == p);  // 37 and 40 bytes take the same block (48 with the header)
    void* q = std::realloc(p, 10000);
    REQUIRE(q != nullptr);
    CHECK(q != p);
    CHECK(Holds(q, 37, 3));
    Fill(q, 10000, 9);
    void* r = std::realloc(q, 100);  // shrinking keeps the block
    CHECK(r == q);
    CHECK(Holds(r, 100, 9));
    std::free(r);
    CHECK(InUse() == before);
  }

  TEST_CASE("over-aligned blocks from posix_memalign and aligned_alloc") {
    const std::size_t before = InUse();
    for (const std::size_t alignment : {16u, 64u, 4096u}) {
      void* p = nullptr;
      REQUIRE(posix_memalign(&p, alignment, 100) == 0);
      CHECK(Aligned(p, alignment));
      Fill(p, 100, 1);
      void* q = aligned_alloc(alignment, alignment * 2);
      REQUIRE(q != nullptr);
      CHECK(Aligned(q, alignment));
      Fill(q, alignment * 2, 2);
      CHECK(Holds(p, 100, 1));
      std::free(p);
      std::free(q);
    }
    CHECK(InUse() == before);
    void* p = nullptr;
    CHECK(posix_memalign(&p, 64, SIZE_MAX - 8) != 0);
    CHECK(p == nullptr);
  }

  TEST_CASE("a request that cannot be met gets null") {
    CHECK(std::malloc(SIZE_MAX) == nullptr);
    CHECK(std::malloc(SIZE_MAX - 4) == nullptr);
    CHECK(std::malloc(std::size_t{1} << 31) == nullptr);  // above the largest block
  }

  TEST_CASE("the memory grows for large blocks and freed ones are used again instead of growing more") {
    std::vector<void*> chunks;
    for (int i = 0; i < 32; ++i) {
      void* p = std::malloc(1 << 20);
      REQUIRE(p != nullptr);
      Fill(p, 1 << 20, static_cast<unsigned char>(i));
      chunks.push_back(p);
    }
    for (int i = 0; i < 32; ++i)
      CHECK(Holds(chunks[static_cast<std::size_t>(i)], 1 << 20, static_cast<unsigned char>(i)));
    for (void* p : chunks) std::free(p);
    const std::size_t size = emscripten_get_heap_size();
    for (void*& p : chunks) p = std::malloc(1 << 20);
    CHECK(emscripten_get_heap_size() == size);
    for (void* p : chunks) std::free(p);
  }
}
