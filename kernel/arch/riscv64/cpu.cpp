// Per-hart state storage and the fault-catch arming around fault_catch_run.
#include "cpu.h"

#include "csr.h"
#include "fault.h"

namespace arch {
namespace {
Cpu cpus[MAX_HARTS];
}

void cpu_init_boot_hart(uint64_t hartid) {
  Cpu* c = &cpus[hartid < MAX_HARTS ? hartid : 0];
  c->hartid = hartid;
  asm volatile("mv tp, %0" ::"r"(c));
}

}  // namespace arch

bool run_catching_faults(FaultCatch& c, void (*fn)(void*), void* arg) {
  arch::Cpu* cpu = arch::this_cpu();
  c.scause = c.stval = 0;
  c.previous = cpu->fault_catch;
  cpu->fault_catch = &c;
  long faulted = fault_catch_run(&c, fn, arg);
  cpu->fault_catch = c.previous;
  return faulted != 0;
}
