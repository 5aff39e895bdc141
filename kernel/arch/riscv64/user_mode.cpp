// User mode: entering it, trapping out of it, going back. The return path is
// where a killed task leaves: it holds no references there (the syscall's
// frames are gone), so its exit is the scheduler's plain exit path.
#include <libk/string.h>

#include "arch/riscv64/cpu.h"
#include "arch/riscv64/csr.h"
#include "arch/riscv64/trap.h"
#include "arch/riscv64/trap_frame.h"
#include "lib/kprintf.h"
#include "object/loader.h"
#include "object/process.h"
#include "sched/sched.h"
#include "syscall/syscall.h"

extern "C" [[noreturn]] void user_return(arch::TrapFrame* tf);

namespace {
// Everything that must happen between the kernel and user mode: a killed
// task leaves here, a preempted one yields. Returns with interrupts off.
// The frame's sstatus already says "back to U-mode with interrupts on": it
// was saved by a trap from user mode, or built by user_task_entry.
void prepare_return(arch::TrapFrame*) {
  for (;;) {
    arch::irq_disable();
    sched::HartSched& hs = sched::this_hart();
    if (hs.current->kill_requested()) {
      arch::irq_enable();
      sched::exit_current(0);  // its exit hook tears the process down if last
    }
    if (!hs.need_resched) break;
    arch::irq_enable();
    sched::yield();
  }
}

[[noreturn]] void return_to_user(arch::TrapFrame* tf) {
  prepare_return(tf);
  user_return(tf);
}

void report_user_fault(arch::TrapFrame* tf) {
  Task* t = sched::current();
  Process* p = t->process;
  kprintf("keel: process %lu (%s) killed: %s at pc %#lx, address %#lx\n", p ? p->pid() : 0,
          p ? p->name() : "?", arch::scause_name(tf->scause), tf->sepc, tf->stval);
  if (p) p->kill(KEEL_EXIT_FAULT);
}
}  // namespace

// A syscall (trap_entry.S's ecall path). Only the registers a C function
// may clobber are in *tf; the callee-saved ones are still the user's, kept
// by every function on the way, so this returns to the assembly instead of
// restoring a full frame.
extern "C" void syscall_trap(arch::TrapFrame* tf) {
  arch::irq_enable();  // sepc already points past the ecall
  tf->a(0) = static_cast<uint64_t>(syscall::dispatch(*tf));
  prepare_return(tf);
}

// Interrupts and faults from user mode: a full frame.
extern "C" void user_trap(arch::TrapFrame* tf) {
  if (tf->scause & arch::SCAUSE_INTERRUPT) {
    arch::handle_interrupt(tf->scause);
  } else {
    arch::irq_enable();
    report_user_fault(tf);
  }
  return_to_user(tf);
}

namespace loader {
int user_task_entry(void*) {
  Task* t = sched::current();
  arch::TrapFrame* tf = arch::user_trap_frame(t->stack.top());
  memset(tf, 0, sizeof(*tf));
  tf->sepc = t->user_pc;
  tf->sp() = t->user_sp;
  for (int i = 0; i < 4; i++) tf->a(i) = t->user_args[i];
  tf->sstatus = (arch::r_sstatus() & ~(arch::SSTATUS_SPP | arch::SSTATUS_SIE | arch::SSTATUS_FS)) |
                arch::SSTATUS_SPIE;  // U-mode, interrupts on once there
  return_to_user(tf);
}
}  // namespace loader
