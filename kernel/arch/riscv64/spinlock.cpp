// The spinlock's slow path, out of line: every caller of lock() shares it
// (and none gets its own copy, which the full-frame syscall entry relies on:
// syscall/ipc_fast.cpp).
#include <arch/spinlock.h>

// lock()'s OR found the bit set, or a waiter starving: then the OR took
// the lock, which is not ours to keep; let it go first.
void RawSpinlock::contended(Word was) {
  if (!(was & LOCKED)) word_.fetch_and(~LOCKED, libk::MemoryOrder::Release);
  uint64_t since = arch::r_time();
  bool starving = false;
  if (lockdebug::enabled) arch::this_cpu()->spinning_on = name_;
  for (;;) {
    Word w = word_.load(libk::MemoryOrder::Relaxed);
    if (!(w & LOCKED)) {
      // A starving waiter takes it and leaves the count in one step;
      // others only while nobody starves.
      Word taken = 0;
      if (starving)
        taken = (w | LOCKED) - COUNT_ONE;
      else if (!(w & COUNT_MASK))
        taken = w | LOCKED;
      if (taken &&
          word_.compare_exchange(w, taken, libk::MemoryOrder::Acquire, libk::MemoryOrder::Relaxed))
        break;
      if (taken) continue;  // the word moved: look again
    }
    arch::tlb::serve();  // see tlb.h
    if (lockdebug::enabled) lockdebug::waiting(this, name_, since, holder_);
    if (!starving && arch::r_time() - since > arch::spin_starving_ticks) {
      word_.fetch_add(COUNT_ONE, libk::MemoryOrder::Relaxed);
      starving = true;
    }
  }
  if (lockdebug::enabled) arch::this_cpu()->spinning_on = nullptr;
}
