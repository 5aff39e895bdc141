// Per-hart state storage and the fault-catch arming around fault_catch_run.
#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/fault.h>
#include <arch/memlayout.h>

namespace arch {
namespace {
Cpu cpus[MAX_HARTS];
alignas(16) uint8_t emergency_stacks[MAX_HARTS][EMERGENCY_STACK_SIZE];
}  // namespace

void cpu_init_boot_hart(uint64_t hartid) {
  unsigned index = hartid < MAX_HARTS ? static_cast<unsigned>(hartid) : 0;
  Cpu* c = &cpus[index];
  c->hartid = hartid;
  c->emergency_top = reinterpret_cast<uintptr_t>(emergency_stacks[index + 1]);
  boot_stack_bounds(&c->stack_lo, &c->stack_hi);
  asm volatile("mv tp, %0" ::"r"(c));
}

void boot_stack_bounds(uintptr_t* lo, uintptr_t* hi) {
  *lo = reinterpret_cast<uintptr_t>(__boot_stack_bottom);
  *hi = reinterpret_cast<uintptr_t>(__boot_stack_top);
}

}  // namespace arch

bool run_catching_faults(FaultCatch& c, void (*fn)(void*), void* arg) {
  // Interrupts off: nothing preempts fn, so the catch armed on this hart is
  // always the running task's and the context switch need not know about it.
  uint64_t irq = arch::irq_save();
  arch::Cpu* cpu = arch::this_cpu();
  c.scause = c.stval = 0;
  c.previous = cpu->fault_catch;
  cpu->fault_catch = &c;
  long faulted = fault_catch_run(&c, fn, arg);
  cpu->fault_catch = c.previous;
  arch::irq_restore(irq);
  return faulted != 0;
}
