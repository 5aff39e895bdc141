// Spinlocks: test-and-set, with a guard against starvation. Plain
// test-and-set let three harts take an address space's lock in turn for
// 10 s while a fourth never won it (utest-tasks at 4 harts). Tickets cured
// that but made the 4-hart leak workload 3.5 times slower: QEMU runs harts
// as host threads, more of them than host cores, and a ticket served to a
// hart whose thread is not running stalls every hart behind it. So a
// waiter that has waited STARVING_MS becomes *starving*: while any waiter
// starves, only starving waiters may take the lock (no one barges in, and
// try_lock fails), so each gets it before anyone who came later. (Starving
// waiters race each other; a version that gave them tickets livelocked
// under load, every hart spinning on a free lock.) Uncontended and briefly
// contended locks behave as plain test-and-set.
//
// RawSpinlock only spins: its user must already have interrupts off (the
// scheduler's per-hart lock, which is handed from the task that switches
// out to the task that switches in). Spinlock also disables interrupts on
// this hart while held, so an interrupt handler on the same hart can never
// spin on a lock its own hart holds. Every lock has a rank and a name for
// lock debugging (lockdebug.h; README's lock order).
#pragma once
#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/lockdebug.h>
#include <arch/tlb.h>
#include <libk/atomic.h>
#include <stdint.h>

namespace arch {
// Timebase ticks a spinlock waiter spins before it starves (set at boot
// from the timebase: STARVING_MS).
constexpr uint64_t STARVING_MS = 10;
extern uint64_t spin_starving_ticks;
}  // namespace arch

class RawSpinlock {
 public:
  constexpr RawSpinlock(LockRank rank = LockRank::None, const char* name = "unnamed")
      : rank_(rank), name_(name) {}

  // One word: the lock bit and the count of starving waiters. The
  // uncontended lock is one atomic OR (a set bit, or any starving waiter,
  // sends the caller to the slow path) and the unlock one atomic AND.
  // `debug` is lockdebug::enabled, for a caller that knows it at compile
  // time (the IPC fast path: syscall/ipc_fast.cpp).
  [[gnu::always_inline]] void lock(bool debug = lockdebug::enabled) {
    Word was = word_.fetch_or(LOCKED, libk::MemoryOrder::Acquire);
    if (was & (LOCKED | COUNT_MASK)) contended(was);
    if (debug) {
      holder_ = arch::this_cpu()->index;
      lockdebug::acquired(this, rank_, name_, false);
    }
  }
  bool try_lock() {
    Word w = word_.load(libk::MemoryOrder::Relaxed);
    if ((w & (LOCKED | COUNT_MASK)) ||
        !word_.compare_exchange(w, w | LOCKED, libk::MemoryOrder::Acquire,
                                libk::MemoryOrder::Relaxed))
      return false;
    if (lockdebug::enabled) {
      holder_ = arch::this_cpu()->index;
      lockdebug::acquired(this, rank_, name_, true);
    }
    return true;
  }
  // What an unlock orders before it: every earlier access, device
  // registers' too (the default: a lock may guard a device), or memory
  // accesses only, for a lock that guards no device (the IPC fast path's:
  // one AMO with the release bit, where the default takes a fence and an AMO).
  enum class Release { MemoryAndIo, MemoryOnly };
  [[gnu::always_inline]] void unlock(bool debug = lockdebug::enabled,
                                     Release r = Release::MemoryAndIo) {
    if (debug) lockdebug::released(this);
    if (r == Release::MemoryOnly) {
      // libk::Atomic<Word> is the word alone (standard layout).
      static_assert(sizeof(word_) == sizeof(Word));
      asm volatile("amoand.d.rl zero, %1, %0"
                   : "+A"(*reinterpret_cast<Word*>(&word_))
                   : "r"(~LOCKED)
                   : "memory");
    } else {
      word_.fetch_and(~LOCKED, libk::MemoryOrder::Release);
    }
  }
  bool held() const { return word_.load(libk::MemoryOrder::Relaxed) & LOCKED; }
  // Waiters starving for it now (tests, reports).
  unsigned starving() const {
    return static_cast<unsigned>((word_.load(libk::MemoryOrder::Relaxed) & COUNT_MASK) / COUNT_ONE);
  }
  // Test hook: count (or stop counting) a waiter that starves.
  void starve_for_test(bool on) {
    if (on)
      word_.fetch_add(COUNT_ONE, libk::MemoryOrder::Relaxed);
    else
      word_.fetch_sub(COUNT_ONE, libk::MemoryOrder::Relaxed);
  }
  const char* name() const { return name_; }

 private:
  // A whole register: the atomic's result needs no sign extension to be tested.
  using Word = uint64_t;
  static constexpr Word LOCKED = 1;
  static constexpr Word COUNT_ONE = Word{1} << 1, COUNT_MASK = ~LOCKED;

  // lock()'s OR found the bit set, or a waiter starving (spinlock.cpp).
  [[gnu::noinline]] void contended(Word was);

  libk::Atomic<Word> word_;
  LockRank rank_;
  unsigned holder_ = 0;  // CPU index of the last holder (lock debugging on: its reports)
  const char* name_;
};

class Spinlock {
 public:
  constexpr Spinlock(LockRank rank = LockRank::None, const char* name = "unnamed")
      : raw_(rank, name) {}
  void lock() {
    uint64_t saved = arch::irq_save();
    raw_.lock();
    saved_irq_ = saved;
  }
  bool try_lock() {
    uint64_t saved = arch::irq_save();
    if (!raw_.try_lock()) {
      arch::irq_restore(saved);
      return false;
    }
    saved_irq_ = saved;
    return true;
  }
  void unlock() {
    uint64_t saved = saved_irq_;
    raw_.unlock();
    arch::irq_restore(saved);
  }
  bool held() const { return raw_.held(); }
  unsigned starving() const { return raw_.starving(); }
  void starve_for_test(bool on) { raw_.starve_for_test(on); }
  // For code that runs with interrupts off already (the IPC fast path):
  // neither saves nor restores them. `debug` as for RawSpinlock::lock.
  [[gnu::always_inline]] void lock_irqs_off(bool debug = lockdebug::enabled) { raw_.lock(debug); }
  using Release = RawSpinlock::Release;
  [[gnu::always_inline]] void unlock_irqs_off(bool debug = lockdebug::enabled,
                                              Release r = Release::MemoryAndIo) {
    raw_.unlock(debug, r);
  }

  // For code that gives the lock up while blocked and takes it back after
  // (WaitQueue::block): the holder's saved interrupt state must survive the
  // other holders in between.
  uint64_t saved_irq_state() const { return saved_irq_; }
  [[gnu::always_inline]] void raw_unlock(bool debug = lockdebug::enabled,
                                         Release r = Release::MemoryAndIo) {
    raw_.unlock(debug, r);
  }
  void raw_relock(uint64_t saved_irq_state) {
    raw_.lock();
    saved_irq_ = saved_irq_state;
  }

 private:
  RawSpinlock raw_;
  uint64_t saved_irq_ = 0;
};

class SpinGuard {
 public:
  explicit SpinGuard(Spinlock& l) : l_(l) { l_.lock(); }
  ~SpinGuard() { l_.unlock(); }
  SpinGuard(const SpinGuard&) = delete;
  SpinGuard& operator=(const SpinGuard&) = delete;

 private:
  Spinlock& l_;
};
