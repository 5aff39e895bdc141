// Allocation-failure injection: make the Nth frame or slab allocation (and,
// with `every`, each Mth after it) fail with ERR_NO_MEMORY, so tests can
// prove every path that allocates survives running out: it returns
// ERR_NO_MEMORY or completes, leaves every counter where it was, and panics
// nowhere.
//
// Counted: each pmm::alloc and each SlabCache::alloc call, on any hart, by
// any task (a slab allocation that needs a fresh slab offers two points:
// the object, then the frame). Disarmed, the cost is one predictable branch.
//
// Armed by the boot argument failalloc=N[,every=M] (counting starts once
// init is running, so the kernel's own boot is not a failure point; the
// post-init check disarms it first) or at run time by the fault_inject
// syscall (user/tests/utest_fault.cpp sweeps N over whole operations).
#pragma once
#include <libk/atomic.h>
#include <stdint.h>

namespace fail_alloc {

namespace detail {
extern libk::Atomic<bool> armed;
bool count_and_decide();
}  // namespace detail

// Called by the allocators before they allocate: true means "fail this one".
inline bool should_fail() {
  return __builtin_expect(detail::armed.load(libk::MemoryOrder::Relaxed), false) &&
         detail::count_and_decide();
}

// Fail allocation number `nth` (1 = the next one) from now, and with
// every > 0, each `every`th after it too. nth == 0 disarms.
void arm(uint64_t nth, uint64_t every);
// arm(), atomically, returning how many allocations failed on purpose since
// the previous arm() (the fault_inject syscall).
uint64_t rearm(uint64_t nth, uint64_t every);
// Code whose own allocations must not fail on purpose (the orphan audit)
// runs between pause() and resume(): nothing counts meanwhile.
void pause();
void resume();
// Disarm; how many allocations failed on purpose since the last arm().
uint64_t disarm();
// arm() as the boot argument failalloc=N[,every=M] says ("N" or
// "N,every=M"). False (and nothing armed) if it is malformed; `why` says
// what is wrong.
bool arm_from_spec(const char* spec, const char** why);

}  // namespace fail_alloc
