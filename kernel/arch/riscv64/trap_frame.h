// The register state saved on every trap, laid out as trap_entry.S stores it.
#pragma once
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

constexpr size_t TRAP_FRAME_SIZE = 36 * 8;
static_assert(sizeof(TrapFrame) == TRAP_FRAME_SIZE, "trap_entry.S depends on this layout");
static_assert(offsetof(TrapFrame, sepc) == 32 * 8);

// A user task's frame: right below the 16 bytes at the top of its kernel
// stack that keep the kernel's tp while it runs in user mode.
inline TrapFrame* user_trap_frame(uintptr_t kstack_top) {
  return reinterpret_cast<TrapFrame*>(kstack_top - 16 - TRAP_FRAME_SIZE);
}

}  // namespace arch
