// Replaces the global operator new of the test binary with one that counts calls, so tests can
// assert that a code path allocates nothing. Kept in its own file: GCC 12 misreports
// -Wmismatched-new-delete wherever the replacement is inlined next to its callers.

#include <atomic>
#include <cstdlib>
#include <new>

#include "tests/support/allocation_counter.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

namespace {
void* countedAllocation(std::size_t size) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
}  // namespace

// Every unaligned form is replaced, so each pointer is freed by the family that allocated it.
void* operator new(std::size_t size) {
  if (void* p = countedAllocation(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* p = countedAllocation(size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return countedAllocation(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return countedAllocation(size);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace zerobusd::testing {
long allocationCount() { return g_allocations.load(std::memory_order_relaxed); }
}  // namespace zerobusd::testing
