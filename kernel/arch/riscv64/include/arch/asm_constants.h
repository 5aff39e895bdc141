/* Constants the assembly transitions and the C++ code share. Plain #defines
 * so that .S files can include this too; the C++ side static_asserts each
 * against the structure it describes (trap_frame.h, cpu.h, fault.h,
 * context.h), so a layout change that forgets the assembly does not build. */
#pragma once

/* sstatus.SUM: S-mode may touch U pages (set only inside user_memcpy.S). */
#define ASM_SSTATUS_SUM (1 << 18)

/* arch::TrapFrame: x0..x31, sepc, sstatus, scause, stval. */
#define ASM_FRAME 288
#define ASM_FRAME_SP (2 * 8)
#define ASM_FRAME_SEPC (32 * 8)
#define ASM_FRAME_SSTATUS (33 * 8)
#define ASM_FRAME_SCAUSE (34 * 8)
#define ASM_FRAME_STVAL (35 * 8)
/* Above a user task's frame, at the top of its kernel stack: the kernel's tp. */
#define ASM_USER_TOP_RESERVE 16

/* Syscalls (a7) in [FIRST, FIRST + COUNT) enter with the whole user frame
 * saved and may return into another task's frame (syscall_trap_full): the
 * register IPC calls. The syscall layer static_asserts the numbers. */
#define ASM_SYSCALL_FULL_FIRST 29
#define ASM_SYSCALL_FULL_COUNT 2

/* arch::Cpu, reached through tp in the kernel. */
#define ASM_CPU_STACK_LO 16
#define ASM_CPU_STACK_HI 24
#define ASM_CPU_EMERGENCY_TOP 32
#define ASM_CPU_IN_EMERGENCY 40
#define ASM_CPU_FULL_SYSCALL 48

/* The callee-saved registers as regs.inc's STORE_CALLEE/LOAD_CALLEE lay
 * them out: ra, sp, s0..s11 from offset 0. arch::Context is exactly this
 * (switch.S); FaultCatch starts with it (fault_catch.S). */
#define ASM_CALLEE_RA 0
#define ASM_CALLEE_SP 8
#define ASM_CALLEE_S0 16
#define ASM_CALLEE_SIZE (14 * 8)

/* arch::Context (context.h), saved and loaded by context_switch. */
#define ASM_CONTEXT_SIZE ASM_CALLEE_SIZE

/* FaultCatch (fault.h): the callee-saved block, then what trap_dispatch
 * fills in when it diverts a fault to fault_catch_landing. */
#define ASM_FAULT_CATCH_SCAUSE (ASM_CALLEE_SIZE + 0)
#define ASM_FAULT_CATCH_STVAL (ASM_CALLEE_SIZE + 8)
#define ASM_FAULT_CATCH_PREVIOUS (ASM_CALLEE_SIZE + 16)
#define ASM_FAULT_CATCH_SIZE (ASM_CALLEE_SIZE + 24)
