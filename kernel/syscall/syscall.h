// The syscall layer. Every syscall is two functions, seL4-style:
//
//   decode(const Args&) -> Result<Request>   read the registers, copy in and
//   (or decode(const Args&, Request&) -> Result<void>, into place)
//                                            check every argument, resolve
//                                            every handle, check every out
//                                            pointer; change nothing
//   invoke(Request&)    -> Result<T>         act on a checked request
//
// and one line that registers the pair (handler<decode, invoke>): the
// registers are unpacked once, in decode, and an invoke cannot run before
// its decode succeeded, so no handler acts on an unchecked argument or
// leaves partial state behind a bad one. Errors travel as Result and TRY;
// the thunk turns the final Result into a0 (the status, or T's value).
#pragma once
#include <arch/timer.h>
#include <arch/trap.h>
#include <arch/trap_frame.h>
#include <keel/syscall.h>
#include <libk/result.h>
#include <stdint.h>

#include "object/channel.h"
#include "object/process.h"
#include "sched/deadline.h"
#include "sched/sched.h"

namespace syscall {

// The six argument registers a0..a5, as the trap frame holds them.
struct Args {
  uint64_t a[6];
  uint64_t operator[](int i) const { return a[i]; }
};
static_assert(sizeof(Args) == 6 * sizeof(uint64_t));

using Handler = int64_t (*)(const Args&);

// The register IPC calls read a0..a6 and write their results back into
// a1..a6 (the user's registers on return), as the trap frame holds them.
struct RegArgs {
  uint64_t a[7];
};
using RegHandler = int64_t (*)(RegArgs&);

// Run the syscall in a7 with arguments a0..a5; the status for a0.
int64_t dispatch(arch::TrapFrame& tf);

// The process of the calling task (a syscall's task always has one).
inline Process& current_process() { return static_cast<Process&>(*sched::current()->owner); }
// A timeout in milliseconds from user space as a deadline: 0 does not
// wait, KEEL_TIMEOUT_INFINITE (or anything too long to count) never ends.
inline Deadline deadline_from_ms(uint64_t ms) {
  if (ms == 0) return Deadline::poll();
  // A timeout too long to count on the clock (KEEL_TIMEOUT_INFINITE among
  // them) has no end; it must not wrap around into a short one.
  uint64_t per_ms = timer::units_per_ms;  // rounded up: a timeout never ends early
  if (ms > UINT64_MAX / per_ms) return Deadline::never();
  uint64_t units = ms * per_ms;
  uint64_t now = timer::now();
  if (units > UINT64_MAX - now) return Deadline::never();
  return Deadline::at(now + units);
}
uint64_t ms_since_boot();

// A 32-bit argument: the whole register must fit.
inline libk::Result<uint32_t> arg_u32(uint64_t v) {
  if (v > UINT32_MAX) return libk::err(ERR_INVALID_ARGS);
  return static_cast<uint32_t>(v);
}
// An out pointer for a T: aligned, inside user space and writable.
template <typename T>
libk::Result<uintptr_t> out_ptr(uint64_t v);

// What an invoke's Result becomes in a0.
inline int64_t to_status(const libk::Result<void>& r) {
  return r.is_error() ? static_cast<int64_t>(r.error()) : int64_t{KEEL_OK};
}
template <typename T>
int64_t to_status(const libk::Result<T>& r) {
  return r.is_error() ? static_cast<int64_t>(r.error()) : static_cast<int64_t>(r.value());
}

// decode, then invoke.
template <auto Decode, auto Invoke>
int64_t handler(const Args& args) {
  auto request = Decode(args);
  if (request.is_error()) return request.error();
  return to_status(Invoke(request.value()));
}

// The same, for requests that own resources or are large (a built message,
// a copied args block on every IPC call): decoded into place, never copied.
template <typename Request, auto DecodeInto, auto Invoke>
int64_t handler_in_place(const Args& args) {
  Request request;  // default-initialized (not zeroed): decode fills what it needs
  auto decoded = DecodeInto(args, request);
  if (decoded.is_error()) return decoded.error();
  return to_status(Invoke(request));
}

// The handlers, one file per area (sys_*.cpp); each is handler<decode, invoke>.
int64_t sys_null(const Args&);
int64_t sys_exit(const Args&);
int64_t sys_yield(const Args&);
int64_t sys_sleep_ms(const Args&);
int64_t sys_clock_ms(const Args&);
int64_t sys_debug_write(const Args&);
int64_t sys_debug_read(const Args&);
int64_t sys_kstat_read(const Args&);
int64_t sys_vm_alloc(const Args&);
int64_t sys_vm_free(const Args&);
int64_t sys_handle_close(const Args&);
int64_t sys_handle_duplicate(const Args&);
int64_t sys_object_info(const Args&);
int64_t sys_channel_create(const Args&);
int64_t sys_channel_write(const Args&);
int64_t sys_channel_read(const Args&);
int64_t sys_channel_call(const Args&);
int64_t sys_process_spawn(const Args&);
int64_t sys_process_kill(const Args&);
int64_t sys_process_wait(const Args&);
int64_t sys_process_list(const Args&);
int64_t sys_process_open(const Args&);
int64_t sys_process_start(const Args&);
int64_t sys_poweroff(const Args&);
int64_t sys_system_audit(const Args&);
int64_t sys_fault_inject(const Args&);
int64_t sys_task_create(const Args&);
int64_t sys_task_exit(const Args&);
int64_t sys_task_kill(const Args&);
int64_t sys_task_wait(const Args&);
int64_t sys_job_create(const Args&);
int64_t sys_job_kill(const Args&);
int64_t sys_job_list(const Args&);
int64_t sys_job_open(const Args&);
// The last step of a call that made handles hs[0..n): copy their values to
// outs[0..n). If another task of the caller unmapped an out pointer
// meanwhile, every one of them is closed again and the call fails with
// ERR_INVALID_ARGS, leaving no handle behind (a value, once closed, never
// names anything again, so what did reach user memory is harmless).
libk::Result<void> hand_out(HandleTable& table, const uintptr_t* outs, const keel_handle_t* hs,
                            size_t n);
inline libk::Result<void> hand_out(HandleTable& table, uintptr_t out, keel_handle_t h) {
  return hand_out(table, &out, &h, 1);
}
// The job a job handle names (needing `rights`), or the caller's own job for
// KEEL_HANDLE_INVALID; a counted reference either way.
libk::Result<RefPtr<Job>> job_of(keel_handle_t h, uint32_t rights);
// process_list and job_list (sys_process.cpp): a[1..4] are (uint64_t* pids,
// size_t cap, size_t* actual, uint64_t after), checked by decode_pid_list;
// list_pids has gather(ctx, after, pids, cap) put the first pids above
// `after` (ascending, at most cap) into a kernel buffer and return how many
// there are in all, then copies them and the total out (ERR_BUFFER_TOO_SMALL
// when the total did not fit).
struct PidList {
  uintptr_t out, actual;
  size_t cap;
  uint64_t after;
};
libk::Result<PidList> decode_pid_list(const Args& a);
using PidGather = size_t (*)(void* ctx, uint64_t after, uint64_t* pids, size_t cap);
libk::Result<void> list_pids(const PidList& r, PidGather gather, void* ctx);
int64_t sys_ipc_call(RegArgs&);
int64_t sys_ipc_reply_wait(RegArgs&);
// Register IPC (sys_ipc.cpp) around the fast path (Channel::fast_path,
// tried first by syscall_trap_full): where a parked task resumes, and the
// receive the general way after the fast path sent but could not park.
void ipc_parked_entry(uint64_t, uint64_t);
int64_t ipc_receive_after_send(arch::TrapFrame* tf, Channel* channel);
// The general way for a full-frame syscall (user_boundary.cpp), after the
// fast path (ipc_fast.cpp) did not take it: null `sent_on`, or it sent to
// `receiver` (a reference to make ready) and receives on `sent_on` (as for
// ipc_receive_after_send). Returns with interrupts off.
arch::FullReturn full_syscall(arch::TrapFrame* tf, Channel* sent_on, Task* receiver);
// Leave the kernel for tf's user context (user_boundary.cpp): a killed task
// exits, a preempted one yields first.
[[noreturn]] void return_to_user(arch::TrapFrame* tf);

// A handle argument is the whole register: keel_handle_t is 64 bits, so no
// value is truncated into another; HandleTable::lookup() judges every bit.
static_assert(sizeof(keel_handle_t) == sizeof(uint64_t));

}  // namespace syscall

#include "mm/user_copy.h"

namespace syscall {
template <typename T>
libk::Result<uintptr_t> out_ptr(uint64_t v) {
  if (v % alignof(T) || !user::writable(v, sizeof(T))) return libk::err(ERR_INVALID_ARGS);
  return static_cast<uintptr_t>(v);
}
}  // namespace syscall
