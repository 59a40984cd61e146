#pragma once
// Counts global operator new calls in a test binary that links allocation_counter.cc, so a
// test can assert that a hot path allocates nothing.

namespace zerobusd::testing {

// Calls to operator new (every form) since the test binary started.
long allocationCount();

}  // namespace zerobusd::testing
