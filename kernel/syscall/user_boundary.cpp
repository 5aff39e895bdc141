// The boundary with user mode, the kernel's half: syscalls in, faults in,
// and the way back out. The return path is where a killed task leaves: it
// holds no references there (the syscall's frames are gone), so its exit is
// the scheduler's plain exit path.
#include <arch/csr.h>
#include <arch/trap.h>

#include "lib/kprintf.h"
#include "object/loader.h"
#include "object/process.h"
#include "sched/sched.h"
#include "syscall.h"

namespace {
// Everything that must happen between the kernel and user mode: a killed
// task leaves here, a preempted one yields. Returns with interrupts off.
// The frame's sstatus already says "back to U-mode with interrupts on": it
// was saved by a trap from user mode, or built by arch::init_user_frame.
void prepare_return(arch::TrapFrame*) {
  for (;;) {
    arch::irq_disable();
    sched::HartSched& hs = sched::this_hart();
    if (hs.current->kill_requested()) {
      arch::irq_enable();
      sched::exit_current(hs.current->exit_code());  // the last task out tears the process down
    }
    if (!hs.need_resched) break;
    arch::irq_enable();
    sched::yield();
  }
}

}  // namespace

namespace syscall {
[[noreturn]] void return_to_user(arch::TrapFrame* tf) {
  prepare_return(tf);
  user_return(tf);
}
}  // namespace syscall

namespace {
using syscall::return_to_user;

void report_user_fault(arch::TrapFrame* tf) {
  Task* t = sched::current();
  Process* p = Process::of(*t);
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

namespace syscall {
// A full-frame syscall the fast path did not take (ipc_fast.cpp). With
// `sent_on`, it sent to `receiver` but could not park: the receiver is made
// ready, and this task receives the general way.
arch::FullReturn full_syscall(arch::TrapFrame* tf, Channel* sent_on, Task* receiver) {
  if (receiver) sched::make_ready_next(libk::adopt(receiver));
  arch::irq_enable();
  if (sent_on)
    tf->a(0) = static_cast<uint64_t>(ipc_receive_after_send(tf, sent_on));
  else
    tf->a(0) = static_cast<uint64_t>(dispatch(*tf));
  prepare_return(tf);
  return arch::FullReturn{tf, nullptr};
}
}  // namespace syscall

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
  arch::init_user_frame(tf, t->user_pc, t->user_sp, t->user_args);
  return_to_user(tf);
}
}  // namespace loader
