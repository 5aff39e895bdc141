// Per-hart state, reached through the tp register (set once per hart at boot).
// There is no global "current" anything: everything hart-local lives here.
#pragma once
#include <arch/asm_constants.h>
#include <stddef.h>
#include <stdint.h>

struct FaultCatch;

namespace arch {

struct Cpu {
  uint64_t hartid;
  FaultCatch* fault_catch;  // armed recovery point for kernel faults, or null (fault.h)
  // The running task's kernel stack: trap entry refuses to push a frame
  // outside [stack_lo, stack_hi] and switches to the emergency stack to
  // report the overflow instead (trap_entry.S). Set at every switch.
  uintptr_t stack_lo;
  uintptr_t stack_hi;
  uintptr_t emergency_top;  // this hart's emergency stack, for that report only
  uint64_t in_emergency;    // the report is running: a second overflow just stops
  uint64_t timer_ticks;     // timer interrupts taken on this hart
  uint64_t tick_interval;   // timebase ticks between timer interrupts
  uint64_t next_deadline;   // time value of the pending timer interrupt
  uint64_t late_ticks;      // ticks whose handler saw time < deadline (must stay 0)
};
static_assert(offsetof(Cpu, stack_lo) == ASM_CPU_STACK_LO);
static_assert(offsetof(Cpu, stack_hi) == ASM_CPU_STACK_HI);
static_assert(offsetof(Cpu, emergency_top) == ASM_CPU_EMERGENCY_TOP);
static_assert(offsetof(Cpu, in_emergency) == ASM_CPU_IN_EMERGENCY);

constexpr unsigned MAX_HARTS = 8;
constexpr size_t EMERGENCY_STACK_SIZE = 8192;

inline Cpu* this_cpu() {
  Cpu* c;
  asm volatile("mv %0, tp" : "=r"(c));
  return c;
}

void cpu_init_boot_hart(uint64_t hartid);  // sets tp for the boot hart
// Tell trap entry where the running task's stack is (at every switch).
inline void set_stack_bounds(uintptr_t lo, uintptr_t hi) {
  Cpu* c = this_cpu();
  c->stack_lo = lo;
  c->stack_hi = hi;
}
// The boot flow's stack (it becomes this hart's idle task).
void boot_stack_bounds(uintptr_t* lo, uintptr_t* hi);

}  // namespace arch
