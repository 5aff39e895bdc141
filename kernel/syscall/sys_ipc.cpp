// Register IPC (SYS_IPC_CALL, SYS_IPC_REPLY_WAIT): a short message in
// a1..a4 with its length in a5, no handles, no argument block. The message
// is an ordinary channel message (Channel::write_short hands it straight to
// a waiting reader, or queues it), so these calls and channel_read/write/
// call interoperate on the same channel. This is the fast path: a caller
// whose server already waits switches straight to it, and the server's
// reply-and-wait switches straight back (WaitQueue::block_locked).
#include <libk/string.h>

#include "object/channel.h"
#include "syscall.h"

namespace syscall {
namespace {

struct Exchange {
  RefPtr<Channel> channel;
  uint64_t words[Task::Mailbox::WORDS];
  uint32_t bytes;
  bool send;
  Deadline deadline = Deadline::never();
};

// The n bytes to send from a1..a4: bytes past the length are not sent (the
// receiver sees zeros there).
void mask(const RegArgs& r, uint32_t n, uint64_t* words) {
  for (uint32_t i = 0; i < Task::Mailbox::WORDS; i++) {
    uint32_t at = i * 8;
    uint64_t w = r.a[1 + i];
    if (at >= n)
      w = 0;
    else if (n - at < 8)
      w &= (uint64_t{1} << ((n - at) * 8)) - 1;
    words[i] = w;
  }
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

// Send (if asked), then receive into the registers. a5/a6 carry the sizes
// of what was received (or of the message too big to take, which stays).
int64_t exchange(RegArgs& r, Exchange& x) {
  sched::Successor next;
  if (x.send) {
    auto sent = x.channel->write_short(x.words, x.bytes);
    if (sent.is_error()) return sent.error();
    next = sent.release_value();
  }
  uint32_t nb = 0, nh = 0;
  auto got = x.channel->read(x.deadline, Channel::SHORT_BYTES, 0, &nb, &nh, std::move(next));
  uint64_t words[Task::Mailbox::WORDS] = {};
  r.a[5] = nb;
  r.a[6] = nh;
  if (!got.is_error()) {
    if (Message* m = got.value()) {
      memcpy(words, m->bytes, m->num_bytes);
      Message::destroy(m);
    } else {
      const Task::Mailbox& box = sched::current()->mailbox;
      for (uint32_t i = 0; i < Task::Mailbox::WORDS; i++) words[i] = box.words[i];
    }
  }
  for (uint32_t i = 0; i < Task::Mailbox::WORDS; i++) r.a[1 + i] = words[i];
  return got.is_error() ? static_cast<int64_t>(got.error()) : int64_t{KEEL_OK};
}

// The fast path (Channel::exchange_fast): a send of a short message to a
// server or client already waiting, with no deadline. False when not
// taken (nothing happened); otherwise the status is in *status.
bool fast(RegArgs& r, bool reply_optional, int64_t* status) {
  uint64_t n = r.a[5];
  if (n > KEEL_IPC_MAX_BYTES || r.a[6] != KEEL_TIMEOUT_INFINITE) return false;
  Object* o = current_process().handles().lookup_fast(r.a[0], KEEL_RIGHT_READ | KEEL_RIGHT_WRITE,
                                                      ObjectType::Channel);
  if (!o) return false;
  RefPtr<Channel> ch = libk::adopt(static_cast<Channel*>(o));
  (void)reply_optional;
  uint64_t words[Task::Mailbox::WORDS];
  mask(r, static_cast<uint32_t>(n), words);
  switch (ch->exchange_fast(words, static_cast<uint32_t>(n))) {
    case Channel::Fast::NotTaken:
      return false;
    case Channel::Fast::Done: {
      const Task::Mailbox& box = sched::current()->mailbox;
      for (uint32_t i = 0; i < Task::Mailbox::WORDS; i++) r.a[1 + i] = box.words[i];
      r.a[5] = box.bytes;
      r.a[6] = 0;
      *status = KEEL_OK;
      return true;
    }
    case Channel::Fast::Sent:
      break;
  }
  Exchange x;
  x.channel = std::move(ch);
  x.send = false;  // already sent: only the answer is left to read
  x.bytes = 0;
  *status = exchange(r, x);
  return true;
}

template <bool ReplyOptional>
int64_t ipc(RegArgs& r) {
  int64_t status;
  if (fast(r, ReplyOptional, &status)) return status;
  Exchange x;
  auto decoded = decode(r, ReplyOptional, x);
  if (decoded.is_error()) return decoded.error();
  return exchange(r, x);
}

}  // namespace

int64_t sys_ipc_call(RegArgs& r) { return ipc<false>(r); }
int64_t sys_ipc_reply_wait(RegArgs& r) { return ipc<true>(r); }

}  // namespace syscall
