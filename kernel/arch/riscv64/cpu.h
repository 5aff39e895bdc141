// Per-hart state, reached through the tp register (set once per hart at boot).
// There is no global "current" anything: everything hart-local lives here.
#pragma once
#include <stdint.h>

struct FaultCatch;

namespace arch {

struct Cpu {
  uint64_t hartid;
  FaultCatch* fault_catch;  // armed recovery point for kernel faults, or null
  uint64_t timer_ticks;     // timer interrupts taken on this hart
  uint64_t tick_interval;   // timebase ticks between timer interrupts
  uint64_t next_deadline;   // time value of the pending timer interrupt
  uint64_t late_ticks;      // ticks whose handler saw time < deadline (must stay 0)
};

constexpr unsigned MAX_HARTS = 8;

inline Cpu* this_cpu() {
  Cpu* c;
  asm volatile("mv %0, tp" : "=r"(c));
  return c;
}

void cpu_init_boot_hart(uint64_t hartid);  // sets tp for the boot hart

}  // namespace arch
