// Per-hart state, reached through the tp register (set once per hart at boot).
// There is no global "current" anything: everything hart-local lives here.
#pragma once
#include <arch/asm_constants.h>
#include <arch/csr.h>
#include <libk/atomic.h>
#include <stddef.h>
#include <stdint.h>

struct FaultCatch;

namespace arch {

// ASIDs this kernel uses at most (page_table_hw.cpp probes how many the hart has).
constexpr unsigned MAX_ASIDS = 1024;

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
  // What trap_entry.S calls for a full-frame syscall here: syscall_trap_full,
  // or its instance with the lock checks when lockdebug is on (so neither
  // looks at the flag; set with it, use_full_syscall).
  uintptr_t full_syscall;
  uint64_t timer_ticks;    // timer interrupts taken on this hart
  uint64_t tick_interval;  // timebase ticks between timer interrupts
  uint64_t next_deadline;  // time value of the pending timer interrupt
  uint64_t late_ticks;     // ticks whose handler saw time < deadline (must stay 0)
  unsigned index;          // dense CPU index 0..cpus_online()-1 (hart ids may be anything)
  void* sched_hart;        // the scheduler's state for this hart (sched::this_hart()), set by it
  bool online;             // running the kernel (set by the hart itself; atomic access)
  uint64_t satp;           // the table loaded here (pt_memory::load_root; atomic access)
  libk::Atomic<uint64_t> tlb_requested;  // shootdowns asked of this hart (tlb.h)
  libk::Atomic<uint64_t> tlb_done;       // the count it has served
  uint64_t tlb_epoch_seen;  // tlb::epoch read before this hart's last full flush (atomic)
  // Spinlocks this hart holds, when lock debugging is on (lockdebug.h).
  struct HeldLock {
    const void* lock;
    const char* name;
    uint64_t since;  // timebase ticks
    uint8_t rank;
  };
  static constexpr unsigned MAX_HELD = 16;
  HeldLock held[MAX_HELD];
  unsigned nheld;
  // What this hart waits for, for a deadlock report (lockdebug on only).
  const char* spinning_on;                  // a lock's name, or null
  int shooting_at;                          // CPU index of a shootdown's target, or -1
  libk::Atomic<uint32_t> backtrace_wanted;  // another hart's report asks where this one is
  static constexpr unsigned WHERE_MAX = 16;
  uintptr_t where[WHERE_MAX];  // this hart's answer: return addresses (lockdebug::poll)
  unsigned nwhere;
  // For each ASID, its generation when this hart last flushed it
  // (load_user_satp): here, so that the IPC fast path reaches it from tp.
  uint32_t asid_flushed_at[MAX_ASIDS];
};
static_assert(offsetof(Cpu, stack_lo) == ASM_CPU_STACK_LO);
static_assert(offsetof(Cpu, stack_hi) == ASM_CPU_STACK_HI);
static_assert(offsetof(Cpu, emergency_top) == ASM_CPU_EMERGENCY_TOP);
static_assert(offsetof(Cpu, in_emergency) == ASM_CPU_IN_EMERGENCY);
static_assert(offsetof(Cpu, full_syscall) == ASM_CPU_FULL_SYSCALL);

// CPU slots: harts beyond this many stay parked in the firmware (boot says so).
constexpr unsigned MAX_CPUS = 8;
constexpr size_t EMERGENCY_STACK_SIZE = 8192;

inline Cpu* this_cpu() {
  Cpu* c;
  asm volatile("mv %0, tp" : "=r"(c));
  return c;
}

// Give the next dense index to this hart and point tp at its Cpu. The boot
// hart gets index 0; each secondary its own as it comes up (cpu_start).
void cpu_init_boot_hart(uint64_t hartid);
Cpu* cpu(unsigned index);  // null if that index was never given out
unsigned cpus_online();    // indices given out so far (harts that reached the kernel)
// Start another hart through SBI HSM: it begins at `entry` on its own stack
// with tp = its Cpu (index given out here, in order), interrupts off, on the
// kernel page table. Returns the index, or -1 (and the SBI error in *error).
// A hart the firmware sends to the kernel's first instruction instead (as
// OpenSBI 1.1 can, when the started hart reads its jump address before
// hart_start has written it) finds its start block there and comes up all
// the same; StartAt::Reset sends it there on purpose (boot test).
using SecondaryEntry = void (*)();
enum class StartAt { Secondary, Reset };
// Hand the boot to another hart: it starts the kernel from the beginning
// with the same device tree, and this hart stops.
[[noreturn]] void hand_boot_to(uint64_t hartid, uintptr_t dtb_pa);
int cpu_start(uint64_t hartid, uintptr_t stack_lo, uintptr_t stack_top, SecondaryEntry entry,
              long* error, StartAt at = StartAt::Secondary);
// Point c->full_syscall at the syscall_trap_full instance for the state
// of lockdebug::enabled (when a hart comes up, and when the flag is set).
void use_full_syscall(Cpu* c);
// Tell trap entry where the running task's stack is (at every switch).
inline void set_stack_bounds(uintptr_t lo, uintptr_t hi) {
  Cpu* c = this_cpu();
  c->stack_lo = lo;
  c->stack_hi = hi;
}
// Load a task's table on this hart at a switch (the kernel half is in every
// table, so this is safe anywhere). Cpu::satp says which table it is, for
// TLB shootdowns (page_table_hw.cpp explains the ordering).
void switch_satp(uint64_t satp);
// ASIDs (page_table_hw.cpp): each ASID's generation, moved on by every
// unmap of its table and its freeing (Cpu::asid_flushed_at: the generation
// each hart last flushed it at).
extern libk::Atomic<uint32_t> asid_generation[MAX_ASIDS];
// The ASID field of a satp value (bits 44..59), as an index (two shifts).
inline uint64_t asid_of(uint64_t satp) { return (satp << 4) >> 48; }
// Load a user table with an ASID: flush the ASID first if its table changed
// since this hart last did. Cpu::satp is set first (shootdowns read it).
[[gnu::always_inline]] inline void load_user_satp(Cpu* c, uint64_t satp, uint64_t asid) {
  libk::AtomicRef(c->satp).store(satp, libk::MemoryOrder::Relaxed);
  libk::atomic_fence(libk::MemoryOrder::SeqCst);
  uint32_t g = asid_generation[asid].load(libk::MemoryOrder::Acquire);
  uint32_t& seen = c->asid_flushed_at[asid];
  if (seen != g) {
    asm volatile("sfence.vma zero, %0" ::"r"(asid) : "memory");
    seen = g;
  }
  asm volatile("csrw satp, %0" ::"r"(satp) : "memory");
}
// switch_satp, inline for tables with an ASID (the IPC fast path's).
[[gnu::always_inline]] inline void switch_satp_fast(uint64_t satp) {
  if (uint64_t asid = asid_of(satp))
    load_user_satp(this_cpu(), satp, asid);
  else
    switch_satp(satp);
}
// The boot flow's stack (it becomes this hart's idle task).
void boot_stack_bounds(uintptr_t* lo, uintptr_t* hi);

}  // namespace arch
