# Kernel context switch between two tasks on this hart.
#   extern "C" void context_switch(arch::Context* from /* a0 */, arch::Context* to /* a1 */);
# Saves the callee-saved registers (ra, sp, s0..s11; see context.h) into
# *from and loads them from *to; the final ret continues wherever *to last
# called context_switch, or at task_start for a new task. Interrupts are off
# across the switch (the scheduler's caller guarantees it).
#   extern "C" void task_start();
# A new task's first instruction: s0 = entry thunk, s1/s2 = its arguments.
# The thunk never returns (it ends in the task's exit).

#include <arch/regs.inc>

.section .text
.globl context_switch
context_switch:
    STORE_CALLEE a0
    LOAD_CALLEE a1
    ret

.globl task_start
task_start:
    mv      t0, s0
    mv      a0, s1
    mv      a1, s2
    li      s0, 0                      # frame pointer 0: backtraces end here
    li      ra, 0
    jr      t0
