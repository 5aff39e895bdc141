#include "fail_alloc.h"

#include <arch/spinlock.h>
#include <libk/string.h>

namespace fail_alloc {
namespace detail {
libk::Atomic<bool> armed;
}

namespace {
Spinlock lock{LockRank::FailAlloc, "fail_alloc"};
uint64_t seen;      // allocations counted since arm()
uint64_t next;      // the count at which the next one fails
uint64_t period;    // 0: only once
uint64_t paused;    // pause() nesting: nothing counts or fails meanwhile
uint64_t injected;  // failed on purpose since arm()
}  // namespace

bool detail::count_and_decide() {
  SpinGuard g(lock);
  if (!armed.load(libk::MemoryOrder::Relaxed) || paused) return false;
  if (++seen != next) return false;
  injected++;
  if (period)
    next += period;
  else
    armed.store(false, libk::MemoryOrder::Relaxed);
  return true;
}

void arm(uint64_t nth, uint64_t every) {
  SpinGuard g(lock);
  seen = 0;
  injected = 0;
  next = nth;
  period = every;
  detail::armed.store(nth != 0, libk::MemoryOrder::Relaxed);
}

uint64_t rearm(uint64_t nth, uint64_t every) {
  SpinGuard g(lock);
  uint64_t before = injected;
  seen = 0;
  injected = 0;
  next = nth;
  period = every;
  detail::armed.store(nth != 0, libk::MemoryOrder::Relaxed);
  return before;
}

void pause() {
  SpinGuard g(lock);
  paused++;
}

void resume() {
  SpinGuard g(lock);
  paused--;
}

uint64_t disarm() {
  SpinGuard g(lock);
  detail::armed.store(false, libk::MemoryOrder::Relaxed);
  return injected;
}

bool arm_from_spec(const char* value, const char** why) {
  // N, or N,every=M
  uint64_t nth = 0, every = 0;
  const char* rest = libk::parse_u64(value, &nth);
  if (!rest || nth == 0) {
    *why = "failalloc wants N (a positive count), optionally ,every=M";
    return false;
  }
  if (*rest) {
    const char* key = ",every=";
    for (const char* k = key; *k; k++, rest++)
      if (*rest != *k) {
        *why = "failalloc wants N or N,every=M";
        return false;
      }
    rest = libk::parse_u64(rest, &every);
    if (!rest || *rest || every == 0) {
      *why = "failalloc's every=M wants a positive count";
      return false;
    }
  }
  arm(nth, every);
  return true;
}

}  // namespace fail_alloc
