// trap_dispatch: interrupts go to the handler registered for their kind; a
// kernel fault either resumes at an armed FaultCatch (see fault.h) or is
// fatal: the dump gives scause, sepc, stval, the task (through the reporter
// the scheduler registers) and a backtrace, then the machine stops with the
// panic status so a test can never hang on it. arch knows no driver and no
// scheduler: both reach it through the small tables below.
#include <arch/backtrace.h>
#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/fault.h>
#include <arch/timer.h>
#include <arch/tlb.h>
#include <arch/trap.h>
#include <arch/user_memcpy.h>

#include "lib/kprintf.h"
#include "lib/panic.h"

namespace arch {

namespace {
InterruptHandler handlers[static_cast<int>(Interrupt::Count_)];
void (*report_task)();
void (*preemption_point)();

void after_kernel_interrupt() {
  if (void (*p)() = preemption_point) p();
}

bool is_recoverable_fault(uint64_t cause) {
  switch (cause) {
    case EXC_INST_ACCESS:
    case EXC_LOAD_ACCESS:
    case EXC_STORE_ACCESS:
    case EXC_INST_PAGE:
    case EXC_LOAD_PAGE:
    case EXC_STORE_PAGE:
    case EXC_LOAD_MISALIGNED:
    case EXC_STORE_MISALIGNED:
    case EXC_ILLEGAL:
      return true;
  }
  return false;
}

[[noreturn]] void fatal_kernel_trap(TrapFrame* tf) {
  panic_begin();
  kprintf("\nKERNEL PANIC: unhandled trap in kernel mode\n");
  kprintf("  scause %#018lx (%s)\n", tf->scause, scause_name(tf->scause));
  kprintf("  sepc   %#018lx\n  stval  %#018lx\n", tf->sepc, tf->stval);
  kprintf("  hart   %lu   ", this_cpu()->hartid);
  report_current_task();
  kprintf("  ra %#018lx sp %#018lx fp %#018lx\n", tf->ra(), tf->sp(), tf->fp());
  // Frame 0 is the faulting pc; frame 1 is found through the interrupted fp.
  arch::print_backtrace(tf->sepc, tf->fp(), tf->ra());
  panic_finish();
}
}  // namespace

void set_interrupt_handler(Interrupt kind, InterruptHandler handler) {
  handlers[static_cast<int>(kind)] = handler;
}

void set_task_reporter(void (*report)()) { report_task = report; }
void set_preemption_point(void (*point)()) { preemption_point = point; }

void report_current_task() {
  if (void (*r)() = report_task)
    r();
  else
    kprintf("task: none: early boot\n");
}

void handle_interrupt(uint64_t scause) {
  Interrupt kind;
  switch (scause & ~SCAUSE_INTERRUPT) {
    case IRQ_S_TIMER:
      timer::handle_irq();
      kind = Interrupt::Timer;
      break;
    case IRQ_S_EXT:
      kind = Interrupt::External;
      break;
    case IRQ_S_SOFT:  // an IPI (sbi::send_ipi from another hart)
      clear_software_interrupt();
      tlb::serve();
      kind = Interrupt::Software;
      break;
    default:
      panic("unexpected interrupt, scause %#lx", scause);
  }
  if (InterruptHandler h = handlers[static_cast<int>(kind)]) h();
}

void trap_init_this_hart() {
  w_sscratch(0);
  w_stvec(reinterpret_cast<uint64_t>(&trap_entry));
}

const char* scause_name(uint64_t c) {
  if (c & SCAUSE_INTERRUPT) {
    switch (c & ~SCAUSE_INTERRUPT) {
      case IRQ_S_SOFT:
        return "supervisor software interrupt";
      case IRQ_S_TIMER:
        return "supervisor timer interrupt";
      case IRQ_S_EXT:
        return "supervisor external interrupt";
    }
    return "unknown interrupt";
  }
  switch (c) {
    case EXC_INST_MISALIGNED:
      return "instruction address misaligned";
    case EXC_INST_ACCESS:
      return "instruction access fault";
    case EXC_ILLEGAL:
      return "illegal instruction";
    case EXC_BREAKPOINT:
      return "breakpoint";
    case EXC_LOAD_MISALIGNED:
      return "load address misaligned";
    case EXC_LOAD_ACCESS:
      return "load access fault";
    case EXC_STORE_MISALIGNED:
      return "store address misaligned";
    case EXC_STORE_ACCESS:
      return "store access fault";
    case EXC_ECALL_U:
      return "environment call from U-mode";
    case EXC_ECALL_S:
      return "environment call from S-mode";
    case EXC_INST_PAGE:
      return "instruction page fault";
    case EXC_LOAD_PAGE:
      return "load page fault";
    case EXC_STORE_PAGE:
      return "store page fault";
  }
  return "unknown exception";
}

}  // namespace arch

// trap_entry.S found no room for a trap frame on the running task's stack:
// it overflowed. We run on this hart's emergency stack; nothing was written
// below the task's stack. Report and stop.
extern "C" [[noreturn]] void kernel_stack_overflow(arch::TrapFrame* tf) {
  using namespace arch;
  Cpu* cpu = this_cpu();
  uintptr_t task_lo = cpu->stack_lo, task_hi = cpu->stack_hi;
  cpu->in_emergency = 1;
  panic_begin();
  set_stack_bounds(cpu->emergency_top - EMERGENCY_STACK_SIZE, cpu->emergency_top);
  kprintf("\nKERNEL PANIC: kernel stack overflow\n");
  kprintf("  hart   %lu   ", cpu->hartid);
  report_current_task();
  kprintf("  stack  %#018lx..%#018lx, sp %#018lx (%ld bytes below its bottom with the frame)\n",
          task_lo, task_hi, tf->sp(), static_cast<long>(task_lo - (tf->sp() - TRAP_FRAME_SIZE)));
  kprintf("  scause %#018lx (%s)\n  sepc   %#018lx\n  stval  %#018lx\n", tf->scause,
          scause_name(tf->scause), tf->sepc, tf->stval);
  arch::print_backtrace(tf->sepc, tf->fp(), tf->ra(), task_lo, task_hi);
  panic_finish();
}

// The overflow report itself ran out of room: stop without another word.
extern "C" [[noreturn]] void kernel_stack_overflow_again() { panic_stop(); }

extern "C" void trap_dispatch(arch::TrapFrame* tf) {
  using namespace arch;
  Cpu* cpu = this_cpu();
  if (tf->scause & SCAUSE_INTERRUPT) {
    handle_interrupt(tf->scause);
  } else if (tf->sepc >= reinterpret_cast<uint64_t>(&user_memcpy) &&
             tf->sepc < reinterpret_cast<uint64_t>(&user_memcpy_end) &&
             is_recoverable_fault(tf->scause)) {
    tf->sepc = reinterpret_cast<uint64_t>(&user_memcpy_fault);  // returns -1 to its caller
  } else if (cpu->fault_catch && is_recoverable_fault(tf->scause)) {
    FaultCatch* c = cpu->fault_catch;
    c->scause = tf->scause;
    c->stval = tf->stval;
    tf->sepc = reinterpret_cast<uint64_t>(&fault_catch_landing);
    tf->a(0) = reinterpret_cast<uint64_t>(c);
  } else {
    fatal_kernel_trap(tf);
  }
  // Preemption point: the interrupted context is saved in *tf on this task's
  // stack, so switching away here is like a yield from the interrupted code.
  if (tf->scause & SCAUSE_INTERRUPT) after_kernel_interrupt();
}
