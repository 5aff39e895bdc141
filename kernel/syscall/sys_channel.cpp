// Channels: create, write, read, call. Handles in messages are moved: the
// sender keeps them if anything fails, loses them only once the message is
// queued.
#include "mm/user_copy.h"
#include "object/channel.h"
#include "sched/sched.h"
#include "syscall.h"

namespace syscall {
namespace {

struct Outgoing {
  HandleTable* table;
  keel_handle_t values[KEEL_CHANNEL_MAX_HANDLES];
  Object* objects[KEEL_CHANNEL_MAX_HANDLES];  // what values name (the table keeps them alive)
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
  }
  Message* m = TRY(Message::create(static_cast<uint32_t>(n)));
  auto copied = user::copy_in(m->bytes, bytes, n);
  if (copied.is_error()) {
    Message::destroy(m);
    return libk::err(copied.error());
  }
  return m;
}

// Runs under the channel's locks: the write will succeed; move the handles.
void move_handles(void* ctx, Message* m) {
  auto* out = static_cast<Outgoing*>(ctx);
  for (size_t i = 0; i < out->count; i++) m->add_handle(out->table->take(out->values[i]));
}

libk::Result<void> send(Channel& ch, HandleTable& table, uintptr_t bytes, size_t n,
                        uintptr_t handles, size_t nh) {
  Outgoing out;
  Message* m = TRY(prepare(ch, table, bytes, n, handles, nh, out));
  auto r = ch.write(m, move_handles, &out, out.objects, out.count);
  if (r.is_error()) Message::destroy(m);  // holds no handles: they were never moved
  return r;
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
                                 uintptr_t handles, size_t hcap, uint64_t deadline,
                                 ReadResult* sizes) {
  size_t room = table.reserve_up_to(min(hcap, KEEL_CHANNEL_MAX_HANDLES));
  uint32_t need_bytes = 0, need_handles = 0;
  auto got = ch.read(deadline, cap, room, &need_bytes, &need_handles);
  sizes->bytes = need_bytes;
  sizes->handles = need_handles;
  if (got.is_error()) {
    if (got.error() == ERR_BUFFER_TOO_SMALL && need_bytes <= cap && need_handles <= hcap)
      return libk::err(ERR_NO_MEMORY);  // it fits the buffers, not the handle table
    return libk::err(got.error());
  }
  Message* m = got.value();
  // From here the message is ours. Install its handles (slots reserved above)
  // and copy out; the buffers were checked, so a fault now means another task
  // of the caller unmapped them meanwhile: the message is lost, but never a
  // reference: everything still in the message is freed with it.
  keel_handle_t values[KEEL_CHANNEL_MAX_HANDLES];
  for (uint32_t i = 0; i < m->num_handles; i++) {
    MovedHandle moved = m->take_handle(i);
    auto h = table.add(static_cast<RefPtr<Object>&&>(moved.object), moved.rights);
    values[i] = h.ok() ? h.value() : KEEL_HANDLE_INVALID;
  }
  auto r1 = user::copy_out(bytes, m->bytes, m->num_bytes);
  auto r2 = user::copy_out(handles, values, m->num_handles * sizeof(keel_handle_t));
  ReadResult res{m->num_bytes, m->num_handles};
  Message::destroy(m);
  if (r1.is_error() || r2.is_error()) return libk::err(ERR_INVALID_ARGS);
  return res;
}
}  // namespace

int64_t sys_channel_create(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  HandleTable& table = current_process().handles();
  // Check both out pointers and room for two handles before creating anything.
  if (a0 == a1) return ERR_INVALID_ARGS;  // one value would be lost
  auto p0 = user::write<keel_handle_t>(a0, KEEL_HANDLE_INVALID);
  if (p0.is_error()) return p0.error();
  auto p1 = user::write<keel_handle_t>(a1, KEEL_HANDLE_INVALID);
  if (p1.is_error()) return p1.error();
  auto room = table.reserve(2);
  if (room.is_error()) return room.error();
  RefPtr<Channel> a, b;
  auto made = Channel::create_pair(&a, &b);
  if (made.is_error()) return made.error();
  constexpr uint32_t rights = KEEL_RIGHT_READ | KEEL_RIGHT_WRITE | KEEL_RIGHT_DUPLICATE |
                              KEEL_RIGHT_TRANSFER | KEEL_RIGHT_INSPECT;
  keel_handle_t h0 = table.add(static_cast<RefPtr<Object>&&>(a), rights).value();
  keel_handle_t h1 = table.add(static_cast<RefPtr<Object>&&>(b), rights).value();
  auto w0 = user::write<keel_handle_t>(a0, h0);
  auto w1 = user::write<keel_handle_t>(a1, h1);
  if (w0.is_error() || w1.is_error()) {
    (void)table.close(h0);
    (void)table.close(h1);
    return ERR_INVALID_ARGS;
  }
  return KEEL_OK;
}

int64_t sys_channel_write(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  keel_handle_t h = a0;
  HandleTable& table = current_process().handles();
  auto ch = table.lookup_as<Channel>(h, KEEL_RIGHT_WRITE);
  if (ch.is_error()) return ch.error();
  return status(send(*ch.value(), table, a1, a2, a3, a4));
}

int64_t sys_channel_read(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  keel_handle_t h = a0;
  HandleTable& table = current_process().handles();
  keel_channel_read_args in;
  auto args = user::read_into(in, a1);
  if (args.is_error()) return args.error();
  if (!user::writable(a1, sizeof(in))) return ERR_INVALID_ARGS;  // the sizes go back there
  auto ch = table.lookup_as<Channel>(h, KEEL_RIGHT_READ);
  if (ch.is_error()) return ch.error();
  auto checked = check_read_buffers(reinterpret_cast<uintptr_t>(in.bytes), in.bytes_cap,
                                    reinterpret_cast<uintptr_t>(in.handles), in.handles_cap);
  if (checked.is_error()) return checked.error();
  ReadResult sizes{0, 0};
  auto r = receive(*ch.value(), table, reinterpret_cast<uintptr_t>(in.bytes), in.bytes_cap,
                   reinterpret_cast<uintptr_t>(in.handles), in.handles_cap,
                   deadline_from_ms(in.timeout_ms), &sizes);
  // The sizes go back after every receive: they are what a caller sizes a
  // retry by (ERR_BUFFER_TOO_SMALL, ERR_NO_MEMORY), and 0 when no message
  // was looked at.
  in.actual_bytes = sizes.bytes;
  in.actual_handles = sizes.handles;
  auto w = user::write<keel_channel_read_args>(a1, in);
  if (w.is_error() && r.ok()) return w.error();
  return status(r);
}

namespace {
// The two phases of a call, after its args block was read. Sets in.sent
// once the request is queued at the peer, and the reply's sizes once one
// was looked at; the caller writes them back whatever the result.
keel_status call(keel_handle_t h, keel_channel_call_args& in) {
  HandleTable& table = current_process().handles();
  auto ch = table.lookup_as<Channel>(h, KEEL_RIGHT_READ | KEEL_RIGHT_WRITE);
  if (ch.is_error()) return ch.error();
  uint64_t deadline = deadline_from_ms(in.timeout_ms);
  if (deadline == 0) return ERR_INVALID_ARGS;  // a call always waits for its reply
  // The reply buffers are checked before the request goes out.
  auto checked = check_read_buffers(reinterpret_cast<uintptr_t>(in.rd_bytes), in.rd_bytes_cap,
                                    reinterpret_cast<uintptr_t>(in.rd_handles), in.rd_handles_cap);
  if (checked.is_error()) return checked.error();
  // Phase 1: send. On error nothing moved: the handles are the caller's.
  auto sent = send(*ch.value(), table, reinterpret_cast<uintptr_t>(in.wr_bytes), in.wr_num_bytes,
                   reinterpret_cast<uintptr_t>(in.wr_handles), in.wr_num_handles);
  if (sent.is_error()) return sent.error();
  in.sent = 1;
  // Phase 2: receive. Whatever happens now, the request's handles are gone.
  ReadResult sizes{0, 0};
  auto r = receive(*ch.value(), table, reinterpret_cast<uintptr_t>(in.rd_bytes), in.rd_bytes_cap,
                   reinterpret_cast<uintptr_t>(in.rd_handles), in.rd_handles_cap, deadline,
                   &sizes);
  in.actual_bytes = sizes.bytes;
  in.actual_handles = sizes.handles;
  return r.is_error() ? r.error() : KEEL_OK;
}
}  // namespace

int64_t sys_channel_call(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  keel_channel_call_args in;
  auto args = user::read_into(in, a1);
  if (args.is_error()) return args.error();
  // sent and the sizes go back there: from here on, on every return.
  if (!user::writable(a1, sizeof(in))) return ERR_INVALID_ARGS;
  in.sent = 0;
  in.actual_bytes = 0;
  in.actual_handles = 0;
  keel_status r = call(a0, in);
  auto w = user::write<keel_channel_call_args>(a1, in);
  if (w.is_error() && r == KEEL_OK) return w.error();
  return r;
}

}  // namespace syscall
