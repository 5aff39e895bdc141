// Trap setup and the kernel's response to every trap.
#pragma once
#include <arch/trap_frame.h>
#include <stdint.h>

namespace arch {

void trap_init_this_hart();  // install the vector; sscratch = 0 (in kernel)
const char* scause_name(uint64_t scause);
// Timer and device interrupts, from kernel or user mode (interrupts off).
// The timer is re-armed here; then the handler registered for the kind
// runs (the scheduler's tick; the PLIC's dispatch to its devices; the
// scheduler's IPI handler for a software interrupt, cleared here first).
void handle_interrupt(uint64_t scause);
enum class Interrupt { Timer, External, Software, Count_ };
using InterruptHandler = void (*)();
void set_interrupt_handler(Interrupt kind, InterruptHandler handler);

// Fatal reports name the running task through the scheduler's reporter
// (it prints "task: <id> (<name>)" and a newline).
void set_task_reporter(void (*report)());
void report_current_task();
// Called after an interrupt taken in kernel mode, on the interrupted task's
// stack: the scheduler's preemption point.
void set_preemption_point(void (*point)());

}  // namespace arch

namespace arch {
// The frame a new user task starts from: pc, sp, a0..a3, U-mode with
// interrupts on once there.
void init_user_frame(TrapFrame* tf, uintptr_t pc, uintptr_t sp, const uint64_t (&args)[4]);
}  // namespace arch

extern "C" void trap_entry();
extern "C" void trap_dispatch(arch::TrapFrame* tf);
// Restore *tf and sret to user mode.
extern "C" [[noreturn]] void user_return(arch::TrapFrame* tf);
// Defined by the kernel above arch (syscall/user_boundary.cpp), called by
// trap_entry.S: an ecall from user mode (only caller-saved registers are in
// *tf), and any other trap from user mode (a full frame).
extern "C" void syscall_trap(arch::TrapFrame* tf);
extern "C" void user_trap(arch::TrapFrame* tf);
namespace arch {
// What a full-frame syscall returns to the assembly: the frame to resume
// (this task's, or the task the hart was handed to), and the on_cpu flag
// (one byte) of the task handed away from, cleared once off its stack.
struct FullReturn {
  TrapFrame* frame;
  void* clear_on_cpu;
};
// A full-frame syscall's a0..a6 as the assembly passes them, in registers
// (they are in the frame too): the fast path need not load them back.
struct UserArgs {
  uint64_t a[7];
};
}  // namespace arch
// Syscalls ASM_SYSCALL_FULL_FIRST.. (the whole user frame saved, tf; the
// user's a0..a6 in a0..a6 as well): returns with interrupts off. Not an
// ordinary C++ function: it may clobber s1..s11 (syscall/ipc_fast.cpp), so
// only trap_entry.S calls it, which keeps nothing in them.
// Two instances, the second with lockdebug's checks (Cpu::full_syscall
// says which this hart calls).
extern "C" arch::FullReturn syscall_trap_full(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                                              uint64_t a4, uint64_t a5, uint64_t a6,
                                              arch::TrapFrame* tf);
extern "C" arch::FullReturn syscall_trap_full_debug(uint64_t a0, uint64_t a1, uint64_t a2,
                                                    uint64_t a3, uint64_t a4, uint64_t a5,
                                                    uint64_t a6, arch::TrapFrame* tf);
