# Kernel context switch between two tasks on this hart.
#   extern "C" void context_switch(arch::Context* from /* a0 */, arch::Context* to /* a1 */);
# Saves the callee-saved registers (ra, sp, s0..s11; see context.h) into
# *from and loads them from *to; the final ret continues wherever *to last
# called context_switch, or at task_start for a new task. Interrupts are off
# across the switch (the scheduler's caller guarantees it).
#   extern "C" void task_start();
# A new task's first instruction: s0 = entry thunk, s1/s2 = its arguments.
# The thunk never returns (it ends in the task's exit).

.section .text
.globl context_switch
context_switch:
    sd      ra, 0(a0)
    sd      sp, 8(a0)
    sd      s0, 16(a0)
    sd      s1, 24(a0)
    sd      s2, 32(a0)
    sd      s3, 40(a0)
    sd      s4, 48(a0)
    sd      s5, 56(a0)
    sd      s6, 64(a0)
    sd      s7, 72(a0)
    sd      s8, 80(a0)
    sd      s9, 88(a0)
    sd      s10, 96(a0)
    sd      s11, 104(a0)
    ld      ra, 0(a1)
    ld      sp, 8(a1)
    ld      s0, 16(a1)
    ld      s1, 24(a1)
    ld      s2, 32(a1)
    ld      s3, 40(a1)
    ld      s4, 48(a1)
    ld      s5, 56(a1)
    ld      s6, 64(a1)
    ld      s7, 72(a1)
    ld      s8, 80(a1)
    ld      s9, 88(a1)
    ld      s10, 96(a1)
    ld      s11, 104(a1)
    ret

.globl task_start
task_start:
    mv      t0, s0
    mv      a0, s1
    mv      a1, s2
    li      s0, 0                      # frame pointer 0: backtraces end here
    li      ra, 0
    jr      t0
