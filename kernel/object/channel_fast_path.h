// The register IPC fast path (Channel::fast_path), defined here to be
// inlined into its one caller, the full-frame syscall entry
// (syscall/ipc_fast.cpp), which is compiled so that it saves no callee-saved
// registers (see there).
#pragma once
#include "object/channel.h"
#include "object/process.h"
#include "sched/sched.h"

namespace channel_detail {
// The n bytes of a1..a4 into a receiver's registers: a1..a4 (bytes past
// the length 0), a5 = n. The rest of the answer, a0 = KEEL_OK and a6 = 0
// (no handles), the fast way out sets itself (trap_entry.S); the general
// way reads them from the frame (deliver_status).
[[gnu::always_inline]] inline void deliver_words(const arch::UserArgs& from, arch::TrapFrame* to,
                                                 uint64_t n) {
#pragma GCC unroll 4
  for (unsigned i = 0; i < Task::Mailbox::WORDS; i++)
    to->a(1 + i) = ipc_message_word(from.a[1 + i], i, n);
  to->a(5) = n;
}
[[gnu::always_inline]] inline void deliver_status(arch::TrapFrame* to) {
  to->a(0) = KEEL_OK;
  to->a(6) = 0;
}
}  // namespace channel_detail

template <bool Debug>
[[gnu::always_inline]] inline arch::FullReturn Channel::fast_path(
    const arch::UserArgs& args, arch::TrapFrame* tf, void (*resume_entry)(uint64_t, uint64_t),
    Channel** self_ref, Task** receiver) {
  // Not taken: the general way reads the arguments from the frame, where
  // the assembly did not put them (a caller that parks gets all seven from
  // its reply). Written here, while they are still in registers.
  auto not_taken = [&args, tf ]() __attribute__((always_inline)) {
    tf->a(0) = args.a[0], tf->a(1) = args.a[1], tf->a(2) = args.a[2], tf->a(3) = args.a[3];
    tf->a(4) = args.a[4], tf->a(5) = args.a[5], tf->a(6) = args.a[6];
    return arch::FullReturn{nullptr, nullptr};
  };
  uint64_t n = args.a[5];
  if (n > SHORT_BYTES || args.a[6] != KEEL_TIMEOUT_INFINITE) return not_taken();
  sched::HartSched& hs = sched::this_hart();
  Task* self = hs.current;
  if (hs.need_resched || self->kill_requested_hint()) return not_taken();
  // A task alone in its process needs neither the table's lock nor a
  // reference: its handle keeps the endpoint (HandleTable::lookup_unshared),
  // also while it is parked on it (Task::parked_on_counted).
  Process& process = Process::of_user(*self);
  constexpr uint32_t rights = KEEL_RIGHT_READ | KEEL_RIGHT_WRITE;
  bool counted = !process.alone();
  Object* o = counted ? process.handles().lookup_fast(args.a[0], rights, ObjectType::Channel, Debug)
                      : process.handles().lookup_unshared(args.a[0], rights, ObjectType::Channel);
  // The alone rule rests on who may write a table: lockdebug checks that the
  // locked lookup names the same object.
  if (Debug && !counted) {
    Object* locked = process.handles().lookup_fast(args.a[0], rights, ObjectType::Channel, Debug);
    KASSERT(locked == o);
    if (locked) locked->unref();  // not the last: the handle holds one
  }
  if (!o) return not_taken();
  auto* ch = static_cast<Channel*>(o);  // our reference if counted
  unsigned here = arch::this_cpu()->index;
  // The pair's lock guards both endpoints: the peer cannot go, no writer
  // can queue on either side, and both wait queues hold still. (The
  // endpoint holds its pair until it dies.)
  Spinlock& pair_lock = ch->pair_.get()->lock;
  pair_lock.lock_irqs_off(Debug);
  Channel* peer = ch->peer_;
  Task* t = peer ? peer->readers_.first_waiter() : nullptr;
  // A parked reader of the peer parked on it, with room for a short
  // message (Channel::park, and below): set before it joined the queue,
  // cleared after it left.
  if (Debug && t && t->parked) KASSERT(t->parked_on == peer && t->mailbox.cap == SHORT_BYTES);
  if (!t || !t->parked || t->hart != here || t->kill_requested_hint() || !peer->queue_.empty()) {
    pair_lock.unlock_irqs_off(Debug, Spinlock::Release::MemoryOnly);
    if (counted) ch->unref();
    return not_taken();
  }
  t->mailbox.cap = 0;
  // Off its queue but still Blocked: Running if the hart goes to it
  // (hand_over), else Ready below.
  (void)peer->readers_.take_blocked_locked(*t).leak_ref();  // -> the current slot, or ready
  // The message goes straight into the receiver's registers (it cannot run
  // before the sret: it is off every queue, and ours to run).
  arch::TrapFrame* rtf = arch::user_trap_frame(t->stack.top());
  channel_detail::deliver_words(args, rtf, n);
  // The hart goes to the receiver only if no kill or tick on another hart
  // may still be about to lock its old queue (Task::queue_lookups; after
  // this fence, any later one reads waiting_on cleared): then its
  // reference on the peer can go here, unless it is the last. Otherwise it
  // resumes the general way, keeping that reference until it has waited
  // them out (parked_entry). A message already queued here (it came
  // before: writers need the pair's lock, held since the look at the peer)
  // is read the general way too.
  libk::atomic_fence(libk::MemoryOrder::SeqCst);  // pairs with kill's, after its count
  if (t->queue_lookups.load(libk::MemoryOrder::Relaxed) == 0 && ch->queue_.empty() &&
      (!t->parked_on_counted ||
       peer->unref_unless_last_exclusive())) {  // pair lock held: try_ref's
    t->parked_on = nullptr;  // its reference on the peer, if any, was dropped just above
    self->mailbox.cap = SHORT_BYTES;
    self->parked_on = ch;
    self->parked_on_counted = counted;
    if (ch->readers_.park_handing_over(hs, self, reinterpret_cast<uintptr_t>(tf), resume_entry, t,
                                       Debug))
      return arch::FullReturn{rtf, &self->on_cpu};
    self->parked_on = nullptr;
    self->mailbox.cap = 0;
  }
  channel_detail::deliver_status(rtf);  // it resumes the general way
  t->change_state<Task::State::Blocked, Task::State::Ready>();
  pair_lock.unlock_irqs_off(Debug, Spinlock::Release::MemoryOnly);
  sched::wait_out_queue_lookups(*self);  // if its park went back because it is being killed
  t->delivered = true;
  if (!counted) ch->ref();  // the general way holds one
  *self_ref = ch;
  *receiver = t;
  return arch::FullReturn{tf, nullptr};
}
