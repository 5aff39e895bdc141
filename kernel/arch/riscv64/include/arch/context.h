// A task's saved kernel context: only what the calling convention says a
// callee must preserve (ra, sp, s0..s11). Everything else was saved by the
// caller of context_switch, or by trap entry if the task was interrupted.
#pragma once
#include <arch/asm_constants.h>
#include <stddef.h>
#include <stdint.h>

namespace arch {

struct Context {
  uint64_t ra;
  uint64_t sp;
  uint64_t s[12];
};
// switch.S saves and loads it with STORE_CALLEE/LOAD_CALLEE (regs.inc).
static_assert(offsetof(Context, ra) == ASM_CALLEE_RA);
static_assert(offsetof(Context, sp) == ASM_CALLEE_SP);
static_assert(offsetof(Context, s) == ASM_CALLEE_S0);
static_assert(sizeof(Context) == ASM_CONTEXT_SIZE);

// Start a new task at task_start: it calls entry_thunk(a, b) with s1 = a,
// s2 = b, on the given stack.
inline Context new_task_context(uintptr_t stack_top, void (*entry_thunk)(uint64_t, uint64_t),
                                uint64_t a, uint64_t b);

}  // namespace arch

// Save the current context into *from, load *to, and return in *to's code.
extern "C" void context_switch(arch::Context* from, arch::Context* to);
// First code of every new task (switch.S): calls s0(s1, s2) and never returns.
extern "C" void task_start();

namespace arch {
// Make *c resume at entry_thunk(0, 0) on a fresh stack at stack_top (only
// what task_start reads is written: a parked task's context, set often).
inline void set_fresh_entry(Context& c, uintptr_t stack_top,
                            void (*entry_thunk)(uint64_t, uint64_t)) {
  c.ra = reinterpret_cast<uint64_t>(&task_start);
  c.sp = stack_top;
  c.s[0] = reinterpret_cast<uint64_t>(entry_thunk);
  c.s[1] = 0;
  c.s[2] = 0;
}
inline Context new_task_context(uintptr_t stack_top, void (*entry_thunk)(uint64_t, uint64_t),
                                uint64_t a, uint64_t b) {
  Context c{};
  c.ra = reinterpret_cast<uint64_t>(&task_start);
  c.sp = stack_top;
  c.s[0] = reinterpret_cast<uint64_t>(entry_thunk);
  c.s[1] = a;
  c.s[2] = b;
  return c;
}
}  // namespace arch
