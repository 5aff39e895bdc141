// Register IPC (SYS_IPC_CALL, SYS_IPC_REPLY_WAIT): a short message in
// a1..a4 with its length in a5, no handles, no argument block. The message
// is an ordinary channel message (Channel::write_short hands it to a
// waiting reader's mailbox, or queues it), so these calls and channel_read/
// write/call interoperate on the same channel.
//
// Both enter with the whole user frame saved (trap_entry.S, full-frame
// syscalls), and both wait by *parking*: the task keeps no kernel frames,
// only its trap frame, and resumes at parked_entry when woken the general
// way. That makes the fast path possible (Channel::fast_path, tried first
// by syscall_trap_full): a call or reply whose receiver is parked on this
// hart writes the message straight into the receiver's frame, parks the
// sender, and hands the hart to the receiver straight into user mode: no
// message object, no run queue, no kernel context switch.
#include <arch/trap.h>
#include <libk/string.h>

#include "object/channel.h"
#include "syscall.h"

namespace syscall {
namespace {

static_assert(SYS_IPC_CALL == ASM_SYSCALL_FULL_FIRST && SYS_IPC_REPLY_WAIT == SYS_IPC_CALL + 1 &&
              ASM_SYSCALL_FULL_COUNT == 2);
static_assert(sizeof(Task::on_cpu) == 1, "trap_entry.S clears it with one sb");

struct Exchange {
  RefPtr<Channel> channel;
  uint64_t words[Task::Mailbox::WORDS];
  uint32_t bytes;
  bool send;
  Deadline deadline = Deadline::never();
};

RegArgs& regs_of(arch::TrapFrame* tf) { return *reinterpret_cast<RegArgs*>(&tf->a(0)); }

// The n bytes to send from a1..a4 (ipc_message_word).
void mask(const RegArgs& r, uint32_t n, uint64_t* words) {
  for (unsigned i = 0; i < Task::Mailbox::WORDS; i++) words[i] = ipc_message_word(r.a[1 + i], i, n);
}

// A received message into the registers: status, a1..a4, a5 = bytes, a6 = 0.
void deliver(RegArgs& r, const uint64_t* words, uint32_t n) {
  r.a[0] = KEEL_OK;
  for (uint32_t i = 0; i < Task::Mailbox::WORDS; i++) r.a[1 + i] = words[i];
  r.a[5] = n;
  r.a[6] = 0;
}

// Everything checked before anything moves: the length, the timeout (a
// call always waits), the handle and its rights.
libk::Result<void> decode(RegArgs& r, bool reply_optional, Exchange& x) {
  uint64_t n = r.a[5];
  x.send = !(reply_optional && n == KEEL_IPC_NO_REPLY);
  if (x.send && n > KEEL_IPC_MAX_BYTES) return libk::err(ERR_OUT_OF_RANGE);
  x.deadline = deadline_from_ms(r.a[6]);
  if (x.deadline.is_poll()) return libk::err(ERR_INVALID_ARGS);
  uint32_t rights = x.send ? KEEL_RIGHT_READ | KEEL_RIGHT_WRITE : uint32_t{KEEL_RIGHT_READ};
  x.channel = TRY(current_process().handles().lookup_as<Channel>(r.a[0], rights));
  x.bytes = x.send ? static_cast<uint32_t>(n) : 0;
  mask(r, x.bytes, x.words);
  return libk::ok();
}

void parked_entry(uint64_t, uint64_t);

// A parked task resumes at parked_entry when woken the general way: a fresh
// entry, its stack just below its trap frame (nothing of the syscall that
// parked it is left).
uintptr_t parked_sp(Task& self) {
  return reinterpret_cast<uintptr_t>(arch::user_trap_frame(self.stack.top()));
}

int64_t exchange(RegArgs& r, Exchange& x);

// Receive into the registers; a6 carries the handles of a message too big
// to take (which stays queued). With no deadline the task parks to wait (and
// this does not return then: it resumes at parked_entry).
int64_t receive(RegArgs& r, Exchange& x, sched::Successor next) {
  Task* self = sched::current();
  for (;;) {
    if (self->mailbox.full) {  // handed over by a sender while parked
      self->mailbox.full = false;
      deliver(r, self->mailbox.words, self->mailbox.bytes);
      return KEEL_OK;
    }
    uint32_t nb = 0, nh = 0;
    Deadline wait = x.deadline.is_never() ? Deadline::poll() : x.deadline;
    auto got = x.channel->read(wait, Channel::SHORT_BYTES, 0, &nb, &nh,
                               x.deadline.is_never() ? sched::Successor{} : std::move(next));
    if (got.is_error() && got.error() == ERR_SHOULD_WAIT && x.deadline.is_never()) {
      // Nothing there: park. The channel reference moves to the task.
      Task* direct = next.take().leak_ref();  // park_locked checks where it may run
      Channel* ch = x.channel.leak_ref();
      ch->park(parked_sp(*self), ipc_parked_entry, direct);  // returns only if not parked
      x.channel = libk::adopt(ch);
      if (direct) sched::make_ready_next(libk::adopt(direct));
      if (self->kill_requested()) return ERR_INTERRUPTED;
      continue;  // something arrived meanwhile
    }
    uint64_t words[Task::Mailbox::WORDS] = {};
    r.a[5] = nb;
    r.a[6] = nh;
    if (got.is_error()) {
      for (uint32_t i = 0; i < Task::Mailbox::WORDS; i++) r.a[1 + i] = 0;
      return got.error();
    }
    if (Message* m = got.value()) {
      memcpy(words, m->bytes, m->num_bytes);
      Message::destroy(m);
    } else {
      for (uint32_t i = 0; i < Task::Mailbox::WORDS; i++) words[i] = self->mailbox.words[i];
    }
    deliver(r, words, nb);
    return KEEL_OK;
  }
}

// Send (if asked), then receive.
int64_t exchange(RegArgs& r, Exchange& x) {
  sched::Successor next;
  if (x.send) {
    auto sent = x.channel->write_short(x.words, x.bytes, &current_process().job());
    if (sent.is_error()) return sent.error();
    next = sent.release_value();
  }
  return receive(r, x, std::move(next));
}

void parked_entry(uint64_t, uint64_t) {
  sched::finish_switch_in();
  arch::irq_enable();
  Task* self = sched::current();
  sched::wait_out_queue_lookups(*self);  // before the endpoint's reference can go
  arch::TrapFrame* tf = arch::user_trap_frame(self->stack.top());
  self->parked = false;
  self->mailbox.cap = 0;
  auto* on = static_cast<Channel*>(self->parked_on);
  // Its reference, or (alone in its process) one of its own now: its handle
  // still holds the endpoint, which it is the only task to close.
  RefPtr<Channel> ch = self->parked_on_counted ? libk::adopt(on) : RefPtr<Channel>(on);
  self->parked_on = nullptr;
  if (self->delivered) {  // the message is in the frame already
    self->delivered = false;
  } else {
    Exchange x;
    x.channel = std::move(ch);
    x.send = false;
    x.bytes = 0;
    regs_of(tf).a[0] = static_cast<uint64_t>(receive(regs_of(tf), x, sched::Successor{}));
  }
  ch.reset();
  return_to_user(tf);
}

template <bool ReplyOptional>
int64_t ipc(RegArgs& r) {
  Exchange x;
  auto decoded = decode(r, ReplyOptional, x);
  if (decoded.is_error()) return decoded.error();
  return exchange(r, x);
}

}  // namespace

int64_t sys_ipc_call(RegArgs& r) { return ipc<false>(r); }
int64_t sys_ipc_reply_wait(RegArgs& r) { return ipc<true>(r); }

void ipc_parked_entry(uint64_t a, uint64_t b) { parked_entry(a, b); }

int64_t ipc_receive_after_send(arch::TrapFrame* tf, Channel* channel) {
  Exchange x;
  x.channel = libk::adopt(channel);
  x.send = false;
  x.bytes = 0;
  return receive(regs_of(tf), x, sched::Successor{});
}

}  // namespace syscall
