// The full-frame syscall entry (trap_entry.S calls it for the register IPC
// calls): the fast path first (Channel::fast_path, inlined here), the
// general way otherwise (full_syscall, user_boundary.cpp).
//
// This file alone is compiled with s1..s11 treated as call-clobbered
// (-fcall-used-*, kernel/meson.build). Its one caller, the assembly, keeps
// nothing in them: the user's values are in the trap frame, and the frame
// it resumes is restored whole. So the fast path neither saves nor restores
// them (35 instructions a direction). Functions it calls keep the usual
// convention, which only preserves more. What makes this safe is that the
// object is this one function (flattened): no other code of it can be
// called from outside, where the usual convention is expected (an inline
// function emitted out of line here, a callback, a static constructor).
// `ipc-fast-symbols` in the static suite (scripts/entry_symbols) checks it.
#include <arch/csr.h>
#include <arch/trap.h>

#include "object/channel_fast_path.h"
#include "syscall.h"

// The fast way out sets a0 = 0 itself for the answer's status.
static_assert(KEEL_OK == 0);

namespace {
// Debug: lockdebug is on (then Cpu::full_syscall names the second
// instance), so that the checks are decided at compile time.
template <bool Debug>
[[gnu::always_inline]] inline arch::FullReturn trap_full(const arch::UserArgs& args,
                                                         arch::TrapFrame* tf) {
  Channel* sent_on = nullptr;
  Task* receiver = nullptr;
  // trap_entry.S neither saves sstatus into the frame here nor restores it
  // on the fast way out: every user frame holds the same value, which is
  // the live one until sret.
  if (Debug) KASSERT(tf->sstatus == arch::r_sstatus());
  arch::FullReturn fast =
      Channel::fast_path<Debug>(args, tf, syscall::ipc_parked_entry, &sent_on, &receiver);
  if (fast.clear_on_cpu) {  // handed over: that task resumes in user mode
    if (Debug) KASSERT(fast.frame->sstatus == arch::r_sstatus());
    return fast;
  }
  return syscall::full_syscall(tf, sent_on, receiver);  // a0..a6 in the frame if it needs them
}
}  // namespace

extern "C" [[gnu::flatten]] arch::FullReturn syscall_trap_full(uint64_t a0, uint64_t a1,
                                                               uint64_t a2, uint64_t a3,
                                                               uint64_t a4, uint64_t a5,
                                                               uint64_t a6, arch::TrapFrame* tf) {
  return trap_full<false>(arch::UserArgs{{a0, a1, a2, a3, a4, a5, a6}}, tf);
}
extern "C" [[gnu::flatten]] arch::FullReturn syscall_trap_full_debug(uint64_t a0, uint64_t a1,
                                                                     uint64_t a2, uint64_t a3,
                                                                     uint64_t a4, uint64_t a5,
                                                                     uint64_t a6,
                                                                     arch::TrapFrame* tf) {
  return trap_full<true>(arch::UserArgs{{a0, a1, a2, a3, a4, a5, a6}}, tf);
}
