# Trap entry and exit: the S-mode trap vector (stvec, direct mode), for traps
# from the kernel and from user space.
#   extern "C" void trap_entry();                     installed in stvec
#   extern "C" void trap_dispatch(arch::TrapFrame*);  kernel trap, frame on the stack
#   extern "C" void user_trap(arch::TrapFrame*);      user interrupt/fault, full frame at the stack top
#   extern "C" void syscall_trap(arch::TrapFrame*);   user ecall, caller-saved registers only
#   extern "C" [[noreturn]] void user_return(arch::TrapFrame*);  back to user mode
#   extern "C" arch::FullReturn syscall_trap_full(a0..a6, arch::TrapFrame*);  a full-frame syscall
#                                                     (or syscall_trap_full_debug: Cpu::full_syscall)
#                                                     (clobbers s1..s11: syscall/ipc_fast.cpp)
# sscratch is 0 while the hart runs kernel code, and holds the running task's
# kernel stack top while it runs user code: the first instruction tells the
# two apart without touching memory. A trap saves every general register,
# sepc, sstatus, scause and stval in a TrapFrame (36 words, trap_frame.h) and
# restores everything from it, so a handler may change sepc or registers
# (fault recovery, syscall results) and sret resumes there. (Syscalls save
# less: what C keeps, or for the register IPC calls what the ABI keeps.)
#
# A trap in the kernel checks the stack before it writes anything: a frame
# that would not fit inside the running task's stack (Cpu::stack_lo..hi, set
# at every switch) means the stack overflowed into its guard page or
# beyond. Then nothing is written there: the trap moves to this hart's
# emergency stack and reports the overflow (kernel_stack_overflow).
#   extern "C" [[noreturn]] void kernel_stack_overflow(arch::TrapFrame*);
#   extern "C" [[noreturn]] void kernel_stack_overflow_again();

#include <arch/asm_constants.h>
#include <arch/regs.inc>

# sepc, sstatus, scause and stval into the frame at sp (clobbers t0).
.macro STORE_TRAP_CSRS
    csrr    t0, sepc
    sd      t0, ASM_FRAME_SEPC(sp)
    csrr    t0, sstatus
    sd      t0, ASM_FRAME_SSTATUS(sp)
    csrr    t0, scause
    sd      t0, ASM_FRAME_SCAUSE(sp)
    csrr    t0, stval
    sd      t0, ASM_FRAME_STVAL(sp)
.endm

# The whole user register file into the frame at sp (the user's t0 was
# parked at 5*8(sp) by from_user), the user sp from sscratch; sscratch = 0.
.macro STORE_USER_GPRS
    ld      t0, 5*8(sp)                # the user's t0 back
    STORE_GPRS sp
    csrrw   t0, sscratch, zero         # the user sp; sscratch = 0: now in the kernel
    sd      t0, ASM_FRAME_SP(sp)
.endm

# Leaving for user mode with the frame at sp (every way out): the kernel's
# tp at the stack top and sscratch = the stack top, for the next trap from
# user mode; sepc from the frame (clobbers t0).
.macro ARM_USER_EXIT
    sd      tp, ASM_FRAME(sp)
    addi    t0, sp, ASM_FRAME + ASM_USER_TOP_RESERVE
    csrw    sscratch, t0
    ld      t0, ASM_FRAME_SEPC(sp)
    csrw    sepc, t0
.endm

# Into C with the frame as the argument: the kernel's tp (the user's is in
# x4 of the frame) and fp 0, so backtraces stop at the user boundary.
.macro ENTER_C_FROM_USER
    ld      tp, ASM_FRAME(sp)
    mv      a0, sp
    li      fp, 0
.endm

.section .text
.balign 4
.globl trap_entry
trap_entry:
    csrrw   sp, sscratch, sp           # from user: sp = kernel stack top, sscratch = user sp
    bnez    sp, from_user
    csrrw   sp, sscratch, sp           # from the kernel: put sp back, sscratch = 0 again
    csrw    sscratch, t0               # borrow t0 until the stack is known good (nothing
    addi    sp, sp, -ASM_FRAME         # here can trap unless tp itself is corrupt)
    ld      t0, ASM_CPU_STACK_LO(tp)
    bltu    sp, t0, stack_overflow
    ld      t0, ASM_CPU_STACK_HI(tp)
    bgtu    sp, t0, stack_overflow
    csrrw   t0, sscratch, zero         # t0 back; sscratch = 0: in the kernel
    STORE_GPRS sp
    addi    t0, sp, ASM_FRAME          # the interrupted sp
    sd      t0, ASM_FRAME_SP(sp)
    csrr    t0, sepc
    sd      t0, ASM_FRAME_SEPC(sp)
    csrr    t0, sstatus
    sd      t0, ASM_FRAME_SSTATUS(sp)
    li      t1, ASM_SSTATUS_SUM        # SUM off while the handler (and whatever it
    csrc    sstatus, t1                # switches to) runs; the frame keeps it for sret
    csrr    t0, scause
    sd      t0, ASM_FRAME_SCAUSE(sp)
    csrr    t0, stval
    sd      t0, ASM_FRAME_STVAL(sp)

    mv      a0, sp
    call    trap_dispatch

    ld      t0, ASM_FRAME_SEPC(sp)
    csrw    sepc, t0
    ld      t0, ASM_FRAME_SSTATUS(sp)
    csrw    sstatus, t0
    sd      tp, 4*8(sp)                # tp is the hart's, not the task's: if the handler
    LOAD_GPRS sp                       # switched away and the task resumed on another
    ld      x2, ASM_FRAME_SP(sp)       # hart, the saved one names the old hart
    sret

# The frame would not fit on the running task's stack. sp = where it would
# have gone; the interrupted t0 is in sscratch. Build the frame on the
# emergency stack instead and report.
stack_overflow:
    ld      t0, ASM_CPU_IN_EMERGENCY(tp)
    bnez    t0, overflow_again
    ld      t0, ASM_CPU_EMERGENCY_TOP(tp)
    addi    t0, t0, -ASM_FRAME
    sd      sp, ASM_FRAME_SP(t0)       # the rejected frame address (interrupted sp - ASM_FRAME)
    mv      sp, t0
    csrrw   t0, sscratch, zero         # t0 back; sscratch = 0
    STORE_GPRS sp
    ld      t0, ASM_FRAME_SP(sp)
    addi    t0, t0, ASM_FRAME          # the interrupted sp
    sd      t0, ASM_FRAME_SP(sp)
    STORE_TRAP_CSRS
    mv      a0, sp
    li      fp, 0
    call    kernel_stack_overflow      # never returns
overflow_again:                        # the report itself overflowed: just stop
    csrw    sscratch, zero
    ld      sp, ASM_CPU_EMERGENCY_TOP(tp)
    call    kernel_stack_overflow_again

# A trap from U-mode. The top 16 bytes of the task's kernel stack hold the
# kernel's tp (this hart's Cpu*, written on the way out); the frame sits
# right below them.
from_user:
    addi    sp, sp, -(ASM_FRAME + ASM_USER_TOP_RESERVE)
    sd      t0, 5*8(sp)
    csrr    t0, scause
    addi    t0, t0, -8                 # 8: environment call from U-mode
    beqz    t0, ecall_from_user
    STORE_USER_GPRS
    STORE_TRAP_CSRS
    ENTER_C_FROM_USER
    call    user_trap                  # returns through user_return

# Restore a user context from *a0 (a TrapFrame at the top of the kernel
# stack) and sret to it. sscratch = the stack top, for the next trap.
.globl user_return
user_return:
    mv      sp, a0
    ARM_USER_EXIT
    ld      t0, ASM_FRAME_SSTATUS(sp)
    csrw    sstatus, t0
    LOAD_GPRS sp
    ld      x2, ASM_FRAME_SP(sp)
    sret

# A syscall. The C code it calls keeps the callee-saved registers (s0..s11)
# intact by the calling convention, so they are neither saved nor restored
# here: only what C may clobber, plus sp, gp, tp, sepc and sstatus (the
# frame's scause and stval are not filled in).
# syscall_trap returns (with interrupts off) unless the task exits.
ecall_from_user:
    addi    t0, a7, -ASM_SYSCALL_FULL_FIRST
    sltiu   t0, t0, ASM_SYSCALL_FULL_COUNT
    bnez    t0, full_ecall_from_user
    sd      x1, 1*8(sp)
    sd      x3, 3*8(sp)
    sd      x4, 4*8(sp)
    .irp n, 6,7,10,11,12,13,14,15,16,17,28,29,30,31
    sd      x\n, \n*8(sp)
    .endr
    csrrw   t0, sscratch, zero         # the user sp; sscratch = 0: now in the kernel
    sd      t0, ASM_FRAME_SP(sp)
    csrr    t0, sepc
    addi    t0, t0, 4                  # return past the ecall
    sd      t0, ASM_FRAME_SEPC(sp)
    csrr    t0, sstatus
    sd      t0, ASM_FRAME_SSTATUS(sp)
    ld      tp, ASM_FRAME(sp)
    mv      a0, sp
    call    syscall_trap
    ARM_USER_EXIT
    ld      t0, ASM_FRAME_SSTATUS(sp)
    csrw    sstatus, t0
    ld      x1, 1*8(sp)
    ld      x3, 3*8(sp)
    ld      x4, 4*8(sp)
    .irp n, 5,6,7,10,11,12,13,14,15,16,17,28,29,30,31
    ld      x\n, \n*8(sp)
    .endr
    ld      x2, ASM_FRAME_SP(sp)
    sret

# A full-frame syscall (the register IPC calls): every user register the
# ABI keeps is saved, since the call may leave this task parked (its whole
# user state in the frame, no kernel frames kept) and resume another task
# straight into user mode. Not saved: a0..a6, the arguments, which go to
# syscall_trap_full in registers (it writes them into the frame if it
# takes the general way; a caller that parks gets all seven from its
# reply); t1..t6, which these calls do not keep (keel/syscall.h; t0 is in
# the frame already, from from_user); and
# sstatus, whose frame copy never changes: every trap from user mode finds
# the value init_user_frame wrote (U-mode, interrupts on, no FPU), which
# the fast path checks under lockdebug. syscall_trap_full returns
# (interrupts off) the frame to resume in a0 and, in a1, the on_cpu flag
# of the task it switched away from, or 0 if it did not switch. That
# task's kernel stack is the one we are on, so the flag is cleared only
# once sp is on the other task's stack. syscall_trap_full keeps only s0
# (the frame pointer) of the callee-saved registers: nothing here is kept
# in them, and both ways out load every kept register from the frame.
full_ecall_from_user:
    sd      x1, 1*8(sp)
    .irp n, 3,4,8,9,17,18,19,20,21,22,23,24,25,26,27
    sd      x\n, \n*8(sp)
    .endr
    csrrw   t0, sscratch, zero         # the user sp; sscratch = 0: now in the kernel
    sd      t0, ASM_FRAME_SP(sp)
    csrr    t0, sepc
    addi    t0, t0, 4                  # return past the ecall
    sd      t0, ASM_FRAME_SEPC(sp)
    ld      tp, ASM_FRAME(sp)          # as ENTER_C_FROM_USER, but the frame goes in
    mv      a7, sp                     # a7: a0..a6 stay the user's arguments
    li      fp, 0
    ld      t0, ASM_CPU_FULL_SYSCALL(tp)  # syscall_trap_full, or its lockdebug instance
    jalr    t0
    mv      sp, a0
    beqz    a1, user_return            # this task's own frame, the general way back
    fence   rw, w
    sb      zero, 0(a1)                # the task switched away from may run elsewhere now

# The fast path's way out to the task it handed the hart to (sp = its
# frame): as user_return, but the live sstatus is already the one to sret
# with (this trap came from user mode, nothing since changed it, and every
# task's is the same); t0..t6 are zeroed, not loaded (not kept, and never
# what the kernel left in them); and the answer's a0 = KEEL_OK and a6 = 0
# (no handles) are set here, not in the frame (deliver_words).
    ARM_USER_EXIT
    ld      x1, 1*8(sp)
    .irp n, 3,4,8,9,11,12,13,14,15,17,18,19,20,21,22,23,24,25,26,27
    ld      x\n, \n*8(sp)
    .endr
    .irp n, 5,6,7,10,16,28,29,30,31
    li      x\n, 0
    .endr
    ld      x2, ASM_FRAME_SP(sp)
    sret
