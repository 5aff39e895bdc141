// User mode, the architecture's half: the frame a new user task starts from.
// Entering (user_return) and trapping out (trap_entry.S) are assembly; what
// happens in between (syscalls, faults, kills) is the kernel's, in
// syscall/user_boundary.cpp.
#include <arch/csr.h>
#include <arch/trap.h>
#include <libk/string.h>

namespace arch {

void init_user_frame(TrapFrame* tf, uintptr_t pc, uintptr_t sp, const uint64_t (&args)[4]) {
  memset(tf, 0, sizeof(*tf));
  tf->sepc = pc;
  tf->sp() = sp;
  for (int i = 0; i < 4; i++) tf->a(i) = args[i];
  // U-mode, interrupts on once there: built from constants (only UXL, the
  // user's XLEN, comes from the register), so nothing a hart was left with
  // carries over (FS or VS on, SUM, MXR), and it is exactly what the
  // register reads back once written (SD, read-only, follows FS and VS).
  // The register IPC path (trap_entry.S) keeps no copy of its own, since
  // every user frame's is the same.
  tf->sstatus = (r_sstatus() & SSTATUS_UXL) | SSTATUS_SPIE;
}

}  // namespace arch
