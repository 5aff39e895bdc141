// The register state saved on every trap, laid out as trap_entry.S stores it.
#pragma once
#include <arch/asm_constants.h>
#include <stddef.h>
#include <stdint.h>

namespace arch {

struct TrapFrame {
  uint64_t x[32];  // x[0] unused; x[1] = ra, x[2] = sp, x[8] = s0/fp, x[10] = a0 ...
  uint64_t sepc;
  uint64_t sstatus;
  uint64_t scause;
  uint64_t stval;

  uint64_t& ra() { return x[1]; }
  uint64_t& sp() { return x[2]; }
  uint64_t& fp() { return x[8]; }
  uint64_t& a(int i) { return x[10 + i]; }
};

constexpr size_t TRAP_FRAME_SIZE = ASM_FRAME;
static_assert(sizeof(TrapFrame) == TRAP_FRAME_SIZE, "trap_entry.S depends on this layout");
static_assert(offsetof(TrapFrame, x) + 2 * 8 == ASM_FRAME_SP);
static_assert(offsetof(TrapFrame, sepc) == ASM_FRAME_SEPC);
static_assert(offsetof(TrapFrame, sstatus) == ASM_FRAME_SSTATUS);
static_assert(offsetof(TrapFrame, scause) == ASM_FRAME_SCAUSE);
static_assert(offsetof(TrapFrame, stval) == ASM_FRAME_STVAL);

// A user task's frame: right below the 16 bytes at the top of its kernel
// stack that keep the kernel's tp while it runs in user mode.
inline TrapFrame* user_trap_frame(uintptr_t kstack_top) {
  return reinterpret_cast<TrapFrame*>(kstack_top - ASM_USER_TOP_RESERVE - TRAP_FRAME_SIZE);
}

}  // namespace arch
