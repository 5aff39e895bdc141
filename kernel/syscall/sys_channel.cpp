// Channels: create, write, read, call. Handles in messages are moved: the
// sender keeps them if anything fails, loses them only once the message is
// queued.
#include <utility>

#include "mm/user_copy.h"
#include "object/channel.h"
#include "sched/sched.h"
#include "syscall.h"

namespace syscall {
namespace {

struct Outgoing {
  HandleTable* table;
  keel_handle_t values[KEEL_CHANNEL_MAX_HANDLES];
  RefPtr<Object> refs[KEEL_CHANNEL_MAX_HANDLES];  // what values named when checked
  Object* objects[KEEL_CHANNEL_MAX_HANDLES];      // the same, for Channel::write's checks
  size_t count;
};

// Copy in and check a message's bytes and handles (nothing moves yet).
libk::Result<Message*> prepare(Channel& via, HandleTable& table, uintptr_t bytes, size_t n,
                               uintptr_t handles, size_t nh, Outgoing& out) {
  if (n > KEEL_CHANNEL_MAX_BYTES || nh > KEEL_CHANNEL_MAX_HANDLES)
    return libk::err(ERR_OUT_OF_RANGE);
  if (nh && handles % alignof(keel_handle_t)) return libk::err(ERR_INVALID_ARGS);
  if (!user::range_ok(bytes, n) || !user::range_ok(handles, nh * sizeof(keel_handle_t)))
    return libk::err(ERR_INVALID_ARGS);
  out.table = &table;
  out.count = nh;
  TRY(user::copy_in(out.values, handles, nh * sizeof(keel_handle_t)));
  for (size_t i = 0; i < nh; i++) {
    for (size_t k = 0; k < i; k++)
      if (out.values[k] == out.values[i]) return libk::err(ERR_INVALID_ARGS);  // sent twice
    TRY(table.check_movable(out.values[i], KEEL_RIGHT_TRANSFER));
    RefPtr<Object> o = TRY(table.lookup(out.values[i], KEEL_RIGHT_TRANSFER, ObjectType(0)));
    if (o.get() == &via || !via.may_carry(*o)) return libk::err(ERR_INVALID_ARGS);
    out.objects[i] = o.get();
    out.refs[i] = std::move(o);  // alive even if another task closes the handle meanwhile
  }
  Message* m = TRY(Message::create(static_cast<uint32_t>(n), &current_process().job()));
  auto copied = user::copy_in(m->bytes, bytes, n);
  if (copied.is_error()) {
    Message::destroy(m);
    return libk::err(copied.error());
  }
  return m;
}

// Runs under the channel's locks: move the handles, all or none (another
// task of the process may have closed one since prepare() looked).
libk::Result<void> move_handles(void* ctx, Message* m) {
  auto* out = static_cast<Outgoing*>(ctx);
  MovedHandle moved[KEEL_CHANNEL_MAX_HANDLES];
  // The objects they keep alive are charged to the sender's job (the
  // message's payer) until a receiver takes them.
  TRY(m->charge_handles(out->count));
  auto took = out->table->take_all(out->values, out->count, KEEL_RIGHT_TRANSFER, moved);
  if (took.is_error()) {
    m->uncharge_handles(out->count);
    return took;
  }
  for (size_t i = 0; i < out->count; i++) m->add_handle(std::move(moved[i]));
  return libk::ok();
}

// Send a message from user memory. A short one without handles takes the
// fast path (Channel::write_short): the reader it was handed to, if any,
// comes back to run next.
libk::Result<sched::Successor> send(Channel& ch, HandleTable& table, uintptr_t bytes, size_t n,
                                    uintptr_t handles, size_t nh) {
  if (nh == 0 && n <= Channel::SHORT_BYTES) {
    if (!user::range_ok(bytes, n)) return libk::err(ERR_INVALID_ARGS);
    uint64_t words[Task::Mailbox::WORDS] = {};
    TRY(user::copy_in(words, bytes, n));
    return ch.write_short(words, static_cast<uint32_t>(n), &current_process().job());
  }
  Outgoing out;
  Message* m = TRY(prepare(ch, table, bytes, n, handles, nh, out));
  auto r = ch.write(m, out.count ? move_handles : nullptr, &out, out.objects, out.count);
  if (r.is_error()) {
    Message::destroy(m);  // holds no handles: they were never moved
    return libk::err(r.error());
  }
  return sched::Successor{};
}

struct ReadResult {
  size_t bytes, handles;
};

constexpr size_t min(size_t a, size_t b) { return a < b ? a : b; }

// Check a reader's buffers before anything happens (before a message is
// taken, before a call sends): inside user space, aligned, and writable as
// far as any message can fill them. A bad buffer then changes nothing.
libk::Result<void> check_read_buffers(uintptr_t bytes, size_t cap, uintptr_t handles, size_t hcap) {
  if ((hcap && handles % alignof(keel_handle_t)) || hcap > KEEL_CHANNEL_MAX_HANDLES * 1024 ||
      !user::range_ok(bytes, cap) || !user::range_ok(handles, hcap * sizeof(keel_handle_t)))
    return libk::err(ERR_INVALID_ARGS);
  if (!user::writable(bytes, min(cap, KEEL_CHANNEL_MAX_BYTES)) ||
      !user::writable(handles, min(hcap, KEEL_CHANNEL_MAX_HANDLES) * sizeof(keel_handle_t)))
    return libk::err(ERR_INVALID_ARGS);
  return libk::ok();
}

// Receive into user buffers already checked by check_read_buffers(). The
// message is taken only if the buffers hold it and the handle table can take
// its handles; otherwise it stays queued (ERR_BUFFER_TOO_SMALL with its
// sizes, or ERR_NO_MEMORY).
libk::Result<ReadResult> receive(Channel& ch, HandleTable& table, uintptr_t bytes, size_t cap,
                                 uintptr_t handles, size_t hcap, Deadline deadline,
                                 ReadResult* sizes, sched::Successor next = {}) {
  HandleTable::Reservation room = table.reserve_up_to(min(hcap, KEEL_CHANNEL_MAX_HANDLES));
  uint32_t need_bytes = 0, need_handles = 0;
  auto got = ch.read(deadline, cap, room.size(), &need_bytes, &need_handles, std::move(next));
  sizes->bytes = need_bytes;
  sizes->handles = need_handles;
  if (got.is_error()) {
    if (got.error() == ERR_BUFFER_TOO_SMALL && need_bytes <= cap && need_handles <= hcap)
      return libk::err(ERR_NO_MEMORY);  // it fits the buffers, not the handle table
    return libk::err(got.error());
  }
  Message* m = got.value();
  if (!m) {  // handed over into this task's mailbox: no handles, fits the buffer
    TRY(user::copy_out(bytes, sched::current()->mailbox.words, need_bytes));
    return ReadResult{need_bytes, 0};
  }
  // From here the message is ours. Install its handles (slots reserved above)
  // and copy out; the buffers were checked, so a fault now means another task
  // of the caller unmapped them meanwhile: the message is lost, and so are
  // its handles (closed again, as hand_out does: no handle stays in the
  // table with a value nobody was told), never a reference.
  keel_handle_t values[KEEL_CHANNEL_MAX_HANDLES];
  for (uint32_t i = 0; i < m->num_handles; i++) {
    MovedHandle moved = m->take_handle(i);
    values[i] = table.add(room, std::move(moved.object), moved.rights);
  }
  auto r1 = user::copy_out(bytes, m->bytes, m->num_bytes);
  auto r2 = user::copy_out(handles, values, m->num_handles * sizeof(keel_handle_t));
  ReadResult res{m->num_bytes, m->num_handles};
  Message::destroy(m);
  if (r1.ok() && r2.ok()) return res;
  for (uint32_t i = 0; i < res.handles; i++) (void)table.close(values[i]);
  return libk::err(ERR_INVALID_ARGS);
}

struct Create {
  uintptr_t out0, out1;
  HandleTable::Reservation slots;
};
// Both out pointers and room for two handles are checked before anything
// is created.
libk::Result<Create> decode_create(const Args& a) {
  if (a[0] == a[1]) return libk::err(ERR_INVALID_ARGS);  // one value would be lost
  TRY(user::write<keel_handle_t>(a[0], KEEL_HANDLE_INVALID));
  TRY(user::write<keel_handle_t>(a[1], KEEL_HANDLE_INVALID));
  HandleTable::Reservation slots = TRY(current_process().handles().reserve(2));
  return Create{a[0], a[1], std::move(slots)};
}
libk::Result<void> create(Create& r) {
  HandleTable& table = current_process().handles();
  RefPtr<Channel> a, b;
  TRY(Channel::create_pair(&a, &b));
  constexpr uint32_t rights = KEEL_RIGHT_READ | KEEL_RIGHT_WRITE | KEEL_RIGHT_DUPLICATE |
                              KEEL_RIGHT_TRANSFER | KEEL_RIGHT_INSPECT;
  const keel_handle_t hs[2] = {table.add(r.slots, std::move(a), rights),
                               table.add(r.slots, std::move(b), rights)};
  const uintptr_t outs[2] = {r.out0, r.out1};
  return hand_out(table, outs, hs, 2);
}

struct Write {
  RefPtr<Channel> channel;
  Outgoing out;
  Message* message = nullptr;  // owned by the request until queued
  ~Write() {
    if (message) Message::destroy(message);  // holds no handles: they never moved
  }
};
// The message is built (bytes copied in, every handle checked movable)
// before anything moves.
libk::Result<void> decode_write_into(const Args& a, Write& r) {
  HandleTable& table = current_process().handles();
  r.channel = TRY(table.lookup_as<Channel>(a[0], KEEL_RIGHT_WRITE));
  r.message = TRY(prepare(*r.channel, table, a[1], a[2], a[3], a[4], r.out));
  return libk::ok();
}
libk::Result<void> write(Write& r) {
  TRY(r.channel->write(r.message, move_handles, &r.out, r.out.objects, r.out.count));
  r.message = nullptr;  // queued: the channel owns it
  return libk::ok();
}

struct Read {
  keel_handle_t h;
  uintptr_t args_at;
  keel_channel_read_args in;
  RefPtr<Channel> channel;
};
libk::Result<void> decode_read_into(const Args& a, Read& r) {
  r.h = a[0];
  r.args_at = a[1];
  TRY(user::read_into(r.in, a[1]));
  if (!user::writable(a[1], sizeof(r.in))) return libk::err(ERR_INVALID_ARGS);  // sizes go back
  r.channel = TRY(current_process().handles().lookup_as<Channel>(a[0], KEEL_RIGHT_READ));
  TRY(check_read_buffers(reinterpret_cast<uintptr_t>(r.in.bytes), r.in.bytes_cap,
                         reinterpret_cast<uintptr_t>(r.in.handles), r.in.handles_cap));
  return libk::ok();
}
libk::Result<void> read(Read& r) {
  ReadResult sizes{0, 0};
  auto got =
      receive(*r.channel, current_process().handles(), reinterpret_cast<uintptr_t>(r.in.bytes),
              r.in.bytes_cap, reinterpret_cast<uintptr_t>(r.in.handles), r.in.handles_cap,
              deadline_from_ms(r.in.timeout_ms), &sizes);
  // The sizes go back after every receive: they are what a caller sizes a
  // retry by (ERR_BUFFER_TOO_SMALL, ERR_NO_MEMORY), and 0 when no message
  // was looked at.
  r.in.actual_bytes = sizes.bytes;
  r.in.actual_handles = sizes.handles;
  auto written = user::write<keel_channel_read_args>(r.args_at, r.in);
  if (got.is_error()) return libk::err(got.error());
  return written;
}

struct Call {
  keel_handle_t h;
  uintptr_t args_at;
  keel_channel_call_args in;
  RefPtr<Channel> channel;
  Deadline deadline = Deadline::never();
};
// Everything a call needs is checked before the request goes out: the
// channel, a deadline (a call always waits for its reply) and the reply
// buffers. The request itself is checked by send(), which moves nothing
// unless it queues.
libk::Result<void> decode_call_into(const Args& a, Call& r) {
  r.h = a[0];
  r.args_at = a[1];
  TRY(user::read_into(r.in, a[1]));
  // sent and the sizes go back there: from here on, on every return.
  if (!user::writable(a[1], sizeof(r.in))) return libk::err(ERR_INVALID_ARGS);
  r.in.sent = 0;
  r.in.actual_bytes = 0;
  r.in.actual_handles = 0;
  return libk::ok();
}
// The checks that must report through the args block (its sent field is
// written back on every return once it is known writable), then the two
// phases. Sets in.sent once the request is queued at the peer, and the
// reply's sizes once one was looked at.
libk::Result<void> call_phases(Call& r) {
  HandleTable& table = current_process().handles();
  r.channel = TRY(table.lookup_as<Channel>(r.h, KEEL_RIGHT_READ | KEEL_RIGHT_WRITE));
  r.deadline = deadline_from_ms(r.in.timeout_ms);
  if (r.deadline.is_poll()) return libk::err(ERR_INVALID_ARGS);
  TRY(check_read_buffers(reinterpret_cast<uintptr_t>(r.in.rd_bytes), r.in.rd_bytes_cap,
                         reinterpret_cast<uintptr_t>(r.in.rd_handles), r.in.rd_handles_cap));
  // Phase 1: send. On error nothing moved: the handles are the caller's.
  sched::Successor server =
      TRY(send(*r.channel, table, reinterpret_cast<uintptr_t>(r.in.wr_bytes), r.in.wr_num_bytes,
               reinterpret_cast<uintptr_t>(r.in.wr_handles), r.in.wr_num_handles));
  r.in.sent = 1;
  // Phase 2: receive. Whatever happens now, the request's handles are gone.
  ReadResult sizes{0, 0};
  auto got = receive(*r.channel, table, reinterpret_cast<uintptr_t>(r.in.rd_bytes),
                     r.in.rd_bytes_cap, reinterpret_cast<uintptr_t>(r.in.rd_handles),
                     r.in.rd_handles_cap, r.deadline, &sizes, std::move(server));
  r.in.actual_bytes = sizes.bytes;
  r.in.actual_handles = sizes.handles;
  if (got.is_error()) return libk::err(got.error());
  return libk::ok();
}
libk::Result<void> call(Call& r) {
  auto result = call_phases(r);
  auto written = user::write<keel_channel_call_args>(r.args_at, r.in);
  if (result.is_error()) return result;
  return written;
}
}  // namespace

int64_t sys_channel_create(const Args& a) { return handler<decode_create, create>(a); }
int64_t sys_channel_write(const Args& a) {
  return handler_in_place<Write, decode_write_into, write>(a);
}
int64_t sys_channel_read(const Args& a) {
  return handler_in_place<Read, decode_read_into, read>(a);
}
int64_t sys_channel_call(const Args& a) {
  return handler_in_place<Call, decode_call_into, call>(a);
}

}  // namespace syscall
