// Spinlock that disables interrupts on this hart while held, so an interrupt
// handler on the same hart can never spin on a lock its own hart holds.
#pragma once
#include <stdint.h>

#include "arch/riscv64/csr.h"

class Spinlock {
 public:
  void lock() {
    uint64_t saved = arch::irq_save();
    while (__atomic_exchange_n(&locked_, 1u, __ATOMIC_ACQUIRE)) {
      while (__atomic_load_n(&locked_, __ATOMIC_RELAXED)) {
      }
    }
    saved_irq_ = saved;
  }
  void unlock() {
    uint64_t saved = saved_irq_;
    __atomic_store_n(&locked_, 0u, __ATOMIC_RELEASE);
    arch::irq_restore(saved);
  }
  bool held() const { return __atomic_load_n(&locked_, __ATOMIC_RELAXED); }

 private:
  uint32_t locked_ = 0;
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
