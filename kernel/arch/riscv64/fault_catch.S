# Recoverable kernel faults: run a function and turn a fault inside it into a
# return value instead of a panic (used by the fault tests; user copy has
# its own, lighter fixup in user_memcpy.S).
#   extern "C" long fault_catch_run(FaultCatch* c, void (*fn)(void*), void* arg);
#       returns 0 if fn returned, 1 if it faulted (c->scause/c->stval say how)
#   extern "C" void fault_catch_landing();   // trap_dispatch resumes here, a0 = c
# trap_dispatch, on a fault while c is armed on this hart, points sepc at
# fault_catch_landing and a0 at c; the landing restores the callee-saved state
# saved below and returns 1 from fault_catch_run. FaultCatch layout (fault.h,
# checked against asm_constants.h): the callee-saved block (ASM_CALLEE_*),
# then scause, stval and the previous catch (ASM_FAULT_CATCH_*).

#include <arch/regs.inc>

.section .text
.globl fault_catch_run
fault_catch_run:
    STORE_CALLEE a0
    addi    sp, sp, -16
    sd      ra, 8(sp)
    sd      s0, 0(sp)
    addi    s0, sp, 16
    mv      t0, a1
    mv      a0, a2
    jalr    t0
    ld      ra, 8(sp)
    ld      s0, 0(sp)
    addi    sp, sp, 16
    li      a0, 0
    ret

.globl fault_catch_landing
fault_catch_landing:
    LOAD_CALLEE a0
    li      a0, 1
    ret
