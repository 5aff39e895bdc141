// Spinlocks, first come first served (tickets: a test-and-set lock let
// three harts take the address-space lock in turn for 10 s while a fourth
// never won it, utest-tasks at 4 harts). RawSpinlock only spins: its user
// must already have interrupts off (the scheduler's per-hart lock, which is handed from the task
// that switches out to the task that switches in). Spinlock also disables interrupts on this hart
// while held, so an interrupt handler on the same hart can never spin on a lock its own hart holds.
// Every lock has a rank and a name for lock debugging (lockdebug.h; README's lock order).
#pragma once
#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/lockdebug.h>
#include <arch/tlb.h>
#include <libk/atomic.h>
#include <stdint.h>

class RawSpinlock {
 public:
  constexpr RawSpinlock(LockRank rank = LockRank::None, const char* name = "unnamed")
      : rank_(rank), name_(name) {}

  [[gnu::always_inline]] void lock() {
    uint32_t ticket = next_.fetch_add(1, libk::MemoryOrder::Relaxed);
    if (serving_.load(libk::MemoryOrder::Acquire) != ticket) contended(ticket);
    holder_ = arch::this_cpu()->index;
    if (lockdebug::enabled) lockdebug::acquired(this, rank_, name_, false);
  }
  bool try_lock() {
    uint32_t free = serving_.load(libk::MemoryOrder::Acquire);
    if (!next_.compare_exchange(free, free + 1, libk::MemoryOrder::Acquire,
                                libk::MemoryOrder::Relaxed))
      return false;
    holder_ = arch::this_cpu()->index;
    if (lockdebug::enabled) lockdebug::acquired(this, rank_, name_, true);
    return true;
  }
  [[gnu::always_inline]] void unlock() {
    if (lockdebug::enabled) lockdebug::released(this);
    // Only the holder writes serving_.
    serving_.store(serving_.load(libk::MemoryOrder::Relaxed) + 1, libk::MemoryOrder::Release);
  }
  bool held() const {
    return next_.load(libk::MemoryOrder::Relaxed) != serving_.load(libk::MemoryOrder::Relaxed);
  }
  // Harts spinning for it now, in line behind the holder (tests, reports).
  unsigned queued() const {
    uint32_t n = next_.load(libk::MemoryOrder::Relaxed) - serving_.load(libk::MemoryOrder::Relaxed);
    return n ? n - 1 : 0;
  }
  const char* name() const { return name_; }

 private:
  [[gnu::noinline]] void contended(uint32_t ticket) {
    uint64_t since = lockdebug::enabled ? arch::r_time() : 0;
    if (lockdebug::enabled) arch::this_cpu()->spinning_on = name_;
    while (serving_.load(libk::MemoryOrder::Acquire) != ticket) {
      arch::tlb::serve();  // see tlb.h
      if (lockdebug::enabled) lockdebug::waiting(this, name_, since, holder_);
    }
    if (lockdebug::enabled) arch::this_cpu()->spinning_on = nullptr;
  }

  libk::Atomic<uint32_t> next_;     // the ticket the next taker gets
  libk::Atomic<uint32_t> serving_;  // the ticket that holds the lock
  LockRank rank_;
  unsigned holder_ = 0;  // CPU index of the last holder (for deadlock reports)
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
  unsigned queued() const { return raw_.queued(); }
  // For code that runs with interrupts off already (the IPC fast path):
  // neither saves nor restores them.
  [[gnu::always_inline]] void lock_irqs_off() { raw_.lock(); }
  [[gnu::always_inline]] void unlock_irqs_off() { raw_.unlock(); }

  // For code that gives the lock up while blocked and takes it back after
  // (WaitQueue::block): the holder's saved interrupt state must survive the
  // other holders in between.
  uint64_t saved_irq_state() const { return saved_irq_; }
  void raw_unlock() { raw_.unlock(); }
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
