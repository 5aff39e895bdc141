// Spinlocks. RawSpinlock only spins: its user must already have interrupts
// off (the scheduler's per-hart lock, which is handed from the task that
// switches out to the task that switches in). Spinlock also disables
// interrupts on this hart while held, so an interrupt handler on the same
// hart can never spin on a lock its own hart holds.
#pragma once
#include <arch/csr.h>
#include <arch/tlb.h>
#include <libk/atomic.h>
#include <stdint.h>

class RawSpinlock {
 public:
  void lock() {
    while (locked_.exchange(1u, libk::MemoryOrder::Acquire)) {
      while (locked_.load(libk::MemoryOrder::Relaxed)) arch::tlb::serve();  // see tlb.h
    }
  }
  bool try_lock() { return !locked_.exchange(1u, libk::MemoryOrder::Acquire); }
  void unlock() { locked_.store(0u, libk::MemoryOrder::Release); }
  bool held() const { return locked_.load(libk::MemoryOrder::Relaxed); }

 private:
  libk::Atomic<uint32_t> locked_;
};

class Spinlock {
 public:
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
