// The module's allocator: malloc and its family for everything the module allocates (the core's strings,
// vectors and cells, through libc++'s operator new), replacing emcc's emmalloc (-sMALLOC=none in
// CMakeLists.txt).
//
// Why our own: emmalloc was 0.95 KB of the gzip'd module, and its mallinfo() another 0.24 KB, for a
// heap that holds a page's metrics and the batch being encoded. This is a segregated free list: a block
// has one of 107 sizes, is taken from the free list of its size or else from the top of the heap, and
// goes back on that list when freed. Constant time both ways.
//
// What it gives up: a freed block serves only requests of its own size, and memory once taken from the
// top stays with the module (as with every wasm allocator: linear memory never shrinks). Sizes are 8
// bytes apart up to 64 and then four to each doubling, so a block holds at most a quarter more than
// was asked. A steady page re-uses the blocks of its previous gathers and encodings, so the heap stops
// growing (js/test/memory.test.mjs checks it); docs/building.md gives the measured overhead.
//
// Single-threaded: the module is built without threads.
#include <emscripten/emscripten.h>
#include <emscripten/heap.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

extern "C" unsigned char __heap_base;  // the linker's

namespace {

// Before each block's payload: its size class, and how far back its block begins (not 0 only for an
// over-aligned payload: posix_memalign).
struct Header {
  std::uint32_t size_class;
  std::uint32_t back;
};
constexpr std::size_t kHeader = sizeof(Header);  // blocks are 8-aligned, and so are payloads
constexpr int kClasses = 107;                    // blocks of 16 B to 2 GiB, the module's largest memory

struct FreeBlock {
  FreeBlock* next;
};
FreeBlock* g_free[kClasses];
std::size_t g_in_use = 0;  // bytes of the blocks handed out

// Block sizes in 8-byte units: 2 to 8 units one by one (classes 0-6), then four sizes between each two
// powers of two (2^e + 2^(e-2), + 2 * 2^(e-2), …, 2^(e+1)), so that a block holds at most a quarter
// more than was asked.
constexpr std::uint32_t kExact = 7;

std::size_t BlockSize(std::uint32_t size_class) {
  if (size_class < kExact) return 8 * std::size_t{size_class + 2};
  const std::uint32_t e = 3 + (size_class - kExact) / 4;
  const std::uint32_t m = (size_class - kExact) % 4;
  return 8 * ((std::size_t{1} << e) + (std::size_t{m + 1} << (e - 2)));
}

// The smallest class whose block holds `n` bytes of payload, or kClasses if none does.
std::uint32_t ClassFor(std::size_t n) {
  if (n > BlockSize(kClasses - 1) - kHeader) return kClasses;
  const auto units = static_cast<std::uint32_t>((n + kHeader + 7) / 8);
  if (units <= kExact + 1) return units < 2 ? 0 : units - 2;
  const std::uint32_t e =
      31 - static_cast<std::uint32_t>(__builtin_clz(units - 1));  // 2^e < units <= 2^(e+1)
  const std::uint32_t step_bits = e - 2;
  const std::uint32_t m = ((units - (1u << e) + (1u << step_bits) - 1) >> step_bits) - 1;
  return kExact + (e - 3) * 4 + m;
}

// The end of what blocks took so far, from the heap's start (the linker's __heap_base, 16-aligned;
// block sizes are multiples of 8, so every block and every payload is 8-aligned).
std::uintptr_t g_top = reinterpret_cast<std::uintptr_t>(&__heap_base);

// `n` more bytes at the top, growing the memory through the host
// (emscripten_resize_heap: js/src/wasm-instance.ts makes its views of the memory again).
void* TakeFromTop(std::size_t n) {
  const std::uintptr_t start = g_top;
  if (n > UINTPTR_MAX - start) return nullptr;
  if (start + n > emscripten_get_heap_size() && !emscripten_resize_heap(start + n)) return nullptr;
  g_top = start + n;
  return reinterpret_cast<void*>(start);
}

Header* HeaderOf(void* payload) { return static_cast<Header*>(payload) - 1; }

void* Allocate(std::size_t n) {
  const std::uint32_t c = ClassFor(n);
  if (c >= kClasses) return nullptr;
  void* block = g_free[c];
  if (block != nullptr) {
    g_free[c] = g_free[c]->next;
  } else {
    block = TakeFromTop(BlockSize(c));
    if (block == nullptr) return nullptr;
  }
  g_in_use += BlockSize(c);
  auto* h = static_cast<Header*>(block);
  *h = Header{c, 0};
  return h + 1;
}

void Release(void* payload) {
  Header* h = HeaderOf(payload);
  const std::uint32_t c = h->size_class;
  auto* block = reinterpret_cast<FreeBlock*>(reinterpret_cast<char*>(h) - h->back);
  block->next = g_free[c];
  g_free[c] = block;
  g_in_use -= BlockSize(c);
}

// Bytes a payload may use: its block, less the header and the alignment gap.
std::size_t Usable(void* payload) {
  const Header* h = HeaderOf(payload);
  return BlockSize(h->size_class) - kHeader - h->back;
}

}  // namespace

extern "C" {

void* malloc(std::size_t n) { return Allocate(n); }

void free(void* p) {
  if (p != nullptr) Release(p);
}

void* calloc(std::size_t count, std::size_t size) {
  std::size_t n;
  if (__builtin_mul_overflow(count, size, &n)) return nullptr;
  void* p = Allocate(n);
  if (p != nullptr) std::memset(p, 0, n);
  return p;
}

void* realloc(void* p, std::size_t n) {
  if (p == nullptr) return Allocate(n);
  const std::size_t have = Usable(p);
  if (n <= have) return p;
  void* q = Allocate(n);
  if (q != nullptr) {
    std::memcpy(q, p, have);
    Release(p);
  }
  return q;
}

int posix_memalign(void** out, std::size_t alignment, std::size_t n) {
  if (alignment <= kHeader) {
    *out = Allocate(n);
  } else {
    if (n > SIZE_MAX - alignment) return 12;  // ENOMEM
    char* p = static_cast<char*>(Allocate(n + alignment));
    if (p != nullptr) {
      // Move the payload up to the alignment, with a header of its own saying where its block begins.
      char* aligned = reinterpret_cast<char*>((reinterpret_cast<std::uintptr_t>(p) + alignment - 1) &
                                              ~(std::uintptr_t{alignment} - 1));
      if (aligned != p) {
        *HeaderOf(aligned) = Header{HeaderOf(p)->size_class, static_cast<std::uint32_t>(aligned - p)};
      }
      p = aligned;
    }
    *out = p;
  }
  return *out == nullptr ? 12 : 0;  // ENOMEM
}

void* aligned_alloc(std::size_t alignment, std::size_t n) {
  void* p = nullptr;
  posix_memalign(&p, alignment, n);
  return p;
}

void* memalign(std::size_t alignment, std::size_t n) { return aligned_alloc(alignment, n); }

// The other names emscripten's libc and JS runtime call the allocator by (emmalloc defines the same).
extern __typeof(malloc) __libc_malloc __attribute__((alias("malloc")));
extern __typeof(malloc) emscripten_builtin_malloc __attribute__((alias("malloc")));
extern __typeof(free) __libc_free __attribute__((alias("free")));
extern __typeof(free) emscripten_builtin_free __attribute__((alias("free")));
extern __typeof(calloc) __libc_calloc __attribute__((alias("calloc")));
extern __typeof(realloc) __libc_realloc __attribute__((alias("realloc")));
extern __typeof(memalign) emscripten_builtin_memalign __attribute__((alias("memalign")));

// libc's strlen (musl's) reads a word at a time, 121 B of code for the few short strings the module
// measures (names and messages from C string literals): a byte at a time is enough. The loop stays a
// loop: clang 14 does not turn it back into a call to strlen.
std::size_t strlen(const char* s) {
  const char* end = s;
  while (*end != '\0') ++end;
  return static_cast<std::size_t>(end - s);
}

// Bytes of the blocks handed out and not yet freed (golivekit_runtime_heap_inuse_bytes, and the leak
// tests). An export of the module (js/src/wasm-module.ts).
EMSCRIPTEN_KEEPALIVE double glk_heap_in_use() { return static_cast<double>(g_in_use); }

}  // extern "C"
