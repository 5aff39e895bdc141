// Per-hart state storage, secondary hart start-up, and the fault-catch arming
// around fault_catch_run.
#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/fault.h>
#include <arch/lockdebug.h>
#include <arch/memlayout.h>
#include <arch/sbi.h>
#include <arch/spinlock.h>
#include <arch/trap.h>
#include <libk/atomic.h>

// boot/entry.S: where a hart started through HSM begins (physical address,
// MMU off); a1 = the physical address of its SecondaryBoot block.
extern "C" char secondary_entry[], handover_entry[], _start[];

// Harts being started, read by entry.S (MMU off) when a hart arrives at
// _start after the boot hart won the lottery: a matching hartid gives the
// physical address of its SecondaryBoot block. Written before hart_start.
struct SecondaryStart {
  uint64_t hartid;
  uint64_t block_pa;  // 0: slot unused
};
static_assert(sizeof(SecondaryStart) == 16 && arch::MAX_CPUS == 8, "entry.S walks this table");
extern "C" SecondaryStart secondary_starts[arch::MAX_CPUS];
// In .data, not .bss: a hart may read it before the boot hart clears .bss.
__attribute__((section(".data"))) SecondaryStart secondary_starts[arch::MAX_CPUS];
extern "C" [[noreturn]] void hand_over_and_stop(uint64_t hartid, uint64_t entry_pa,
                                                uint64_t opaque);

namespace arch {
uint64_t spin_starving_ticks = 10 * 10000;  // until timer::init: QEMU virt's 10 MHz
namespace {
Cpu cpus[MAX_CPUS];
alignas(16) uint8_t emergency_stacks[MAX_CPUS][EMERGENCY_STACK_SIZE];
libk::Atomic<unsigned> online;  // indices given out; a Cpu is filled in before its index counts

// What secondary_entry loads (offsets fixed by entry.S): the kernel's satp,
// the stack, tp, and the C++ entry.
struct SecondaryBoot {
  uint64_t satp;
  uint64_t sp;
  uint64_t tp;
  uint64_t entry;
};
SecondaryBoot secondary_boot[MAX_CPUS];

Cpu* claim_cpu(unsigned index, uint64_t hartid) {
  Cpu* c = &cpus[index];
  c->hartid = hartid;
  c->index = index;
  c->shooting_at = -1;
  c->emergency_top = reinterpret_cast<uintptr_t>(emergency_stacks[index + 1]);
  use_full_syscall(c);
  return c;
}
}  // namespace

void use_full_syscall(Cpu* c) {
  c->full_syscall =
      reinterpret_cast<uintptr_t>(lockdebug::enabled ? syscall_trap_full_debug : syscall_trap_full);
}

void cpu_init_boot_hart(uint64_t hartid) {
  Cpu* c = claim_cpu(0, hartid);
  boot_stack_bounds(&c->stack_lo, &c->stack_hi);
  online.store(1, libk::MemoryOrder::Release);
  asm volatile("mv tp, %0" ::"r"(c));
}

Cpu* cpu(unsigned index) {
  return index < online.load(libk::MemoryOrder::Acquire) ? &cpus[index] : nullptr;
}

unsigned cpus_online() { return online.load(libk::MemoryOrder::Acquire); }

int cpu_start(uint64_t hartid, uintptr_t stack_lo, uintptr_t stack_top, SecondaryEntry entry,
              long* error, StartAt at) {
  unsigned index = online.load(libk::MemoryOrder::Relaxed);  // only the boot hart starts others
  if (index >= MAX_CPUS) {
    *error = 0;
    return -1;
  }
  Cpu* c = claim_cpu(index, hartid);
  c->stack_lo = stack_lo;
  c->stack_hi = stack_top;
  SecondaryBoot& b = secondary_boot[index];
  b.satp = r_satp();
  c->satp = b.satp;
  b.sp = stack_top;
  b.tp = reinterpret_cast<uint64_t>(c);
  b.entry = reinterpret_cast<uint64_t>(entry);
  secondary_starts[index] = {hartid, virt_to_phys(&b)};
  libk::atomic_fence(libk::MemoryOrder::SeqCst);  // the block is in memory before the hart runs
  uintptr_t start_pa = virt_to_phys(at == StartAt::Reset ? _start : secondary_entry);
  long e = sbi::hart_start(hartid, start_pa, at == StartAt::Reset ? 0 : virt_to_phys(&b));
  if (e != 0) {
    secondary_starts[index] = {};
    *error = e;
    return -1;
  }
  online.store(index + 1, libk::MemoryOrder::Release);
  return static_cast<int>(index);
}

void hand_boot_to(uint64_t hartid, uintptr_t dtb_pa) {
  irq_disable();
  hand_over_and_stop(hartid, virt_to_phys(handover_entry), dtb_pa);
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
