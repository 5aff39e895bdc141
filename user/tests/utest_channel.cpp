// Channels: create, write, read, call. Valid use, limits (size, handle
// count, queue length), every bad pointer kind for every pointer argument
// (a bad pointer changes nothing: no handle made, nothing sent, nothing
// consumed), handle transfer, buffers too small, endpoints that may not
// travel, nested channels freed when both ends close, a process killed
// while blocked in channel_call, and channel_call's `sent`: for every way a
// call can fail, before the request went out (the caller keeps its handles)
// and after (they have moved).
#include "common.h"

using keel::syscall6;
using keel::u;
using utest::expect;

namespace {

constexpr uint32_t CHANNEL_RIGHTS = KEEL_RIGHT_READ | KEEL_RIGHT_WRITE | KEEL_RIGHT_DUPLICATE |
                                    KEEL_RIGHT_TRANSFER | KEEL_RIGHT_INSPECT;

struct Pair {
  keel_handle_t a = KEEL_HANDLE_INVALID, b = KEEL_HANDLE_INVALID;
};

Pair make_pair() {
  Pair p;
  int64_t r = keel::channel_create(&p.a, &p.b);
  if (r != KEEL_OK) tap::diag("channel_create: %s", keel_status_name(int32_t(r)));
  return p;
}

void close_all(std::initializer_list<keel_handle_t> hs) {
  for (keel_handle_t h : hs) keel::handle_close(h);
}

bool alive(keel_handle_t h) {
  keel_object_info info;
  return keel::object_info(h, &info) == KEEL_OK;
}

// A received message.
struct Got {
  char bytes[KEEL_CHANNEL_MAX_BYTES];
  keel_handle_t handles[KEEL_CHANNEL_MAX_HANDLES];
  size_t n = 0, nh = 0;
  bool is(const char* s) const { return n == strlen(s) && memcmp(bytes, s, n) == 0; }
};
Got got;

// Non-blocking read into `got` (or wait up to timeout_ms).
int64_t receive(keel_handle_t h, size_t cap = sizeof(got.bytes),
                size_t hcap = KEEL_CHANNEL_MAX_HANDLES, uint64_t timeout_ms = 0) {
  return keel::read_message(h, got.bytes, cap, &got.n, got.handles, hcap, &got.nh, timeout_ms);
}

keel_channel_call_args call_args(const char* request, void* reply, size_t cap,
                                 uint64_t timeout_ms = keel::PATIENCE_MS) {
  keel_channel_call_args c{};
  c.wr_bytes = request;
  c.wr_num_bytes = strlen(request);
  c.rd_bytes = reply;
  c.rd_bytes_cap = cap;
  c.rd_handles = got.handles;
  c.rd_handles_cap = KEEL_CHANNEL_MAX_HANDLES;
  c.timeout_ms = timeout_ms;
  return c;
}

// --- scenarios ---

void create(const keel::KstatSnapshot& base) {
  int64_t channels = utest::counter("channels_live");
  Pair p = make_pair();
  tap::ok(p.a && p.b && p.a != p.b, "channel_create gives two handle values");
  tap::ok(utest::counter("channels_live") == channels + 2, "and two endpoints");
  close_all({p.a, p.b});

  keel_handle_t x = 0, y = 0;
  utest::each_bad_pointer("channel_create first handle into", true,
                          [&](uintptr_t q) { return syscall6(SYS_CHANNEL_CREATE, q, u(&y)); });
  utest::each_bad_pointer("channel_create second handle into", true,
                          [&](uintptr_t q) { return syscall6(SYS_CHANNEL_CREATE, u(&x), q); });
  auto* ro = utest::ptr<keel_handle_t>(u(utest::read_only()));
  expect(keel::channel_create(ro, &y), ERR_INVALID_ARGS,
         "channel_create first handle into read-only memory");
  expect(keel::channel_create(&x, ro), ERR_INVALID_ARGS,
         "channel_create second handle into read-only memory");
  expect(keel::channel_create(&x, &x), ERR_INVALID_ARGS,
         "channel_create with both out pointers the same");
  tap::at_baseline(base, "channel_create: bad out pointers made nothing");
}

void write_and_read(const keel::KstatSnapshot& base) {
  Pair p = make_pair();
  expect(keel::channel_write(p.a, "hello", 5), KEEL_OK, "write 5 bytes");
  tap::ok(receive(p.b) == KEEL_OK && got.is("hello") && got.nh == 0,
          "the peer reads the same 5 bytes");
  expect(keel::channel_write(p.b, nullptr, 0), KEEL_OK, "write an empty message");
  tap::ok(receive(p.a) == KEEL_OK && got.n == 0, "read the empty message");
  expect(receive(p.a), ERR_SHOULD_WAIT, "read an empty queue without waiting");
  uint64_t t0 = keel::clock_ms();
  expect(receive(p.a, sizeof(got.bytes), 0, 30), ERR_TIMED_OUT, "read an empty queue for 30 ms");
  tap::ok(keel::clock_ms() - t0 >= 30, "the read waited at least 30 ms");

  // A timeout too long to count in ticks is long, not short: the read lasts
  // until a child holding the other end exits.
  Pair far = make_pair();
  keel_handle_t holder = utest::start("sleeper", "100", far.b);
  expect(receive(far.a, sizeof(got.bytes), 0, UINT64_MAX - 1), ERR_PEER_CLOSED,
         "read with a timeout of 2^64-2 ms lasts until the peer goes");
  utest::reap(holder, false);
  keel::handle_close(far.a);

  for (const char* m : {"one", "two", "three"}) keel::channel_write(p.a, m, strlen(m));
  bool in_order = true;
  for (const char* m : {"one", "two", "three"}) in_order &= receive(p.b) == KEEL_OK && got.is(m);
  tap::ok(in_order, "messages arrive in order");

  // The largest message: KEEL_CHANNEL_MAX_BYTES bytes and KEEL_CHANNEL_MAX_HANDLES handles.
  static uint8_t big[KEEL_CHANNEL_MAX_BYTES];
  for (size_t i = 0; i < sizeof(big); i++) big[i] = static_cast<uint8_t>(i * 7 + 1);
  keel_handle_t hs[KEEL_CHANNEL_MAX_HANDLES];
  for (size_t i = 0; i < KEEL_CHANNEL_MAX_HANDLES; i += 2) keel::channel_create(&hs[i], &hs[i + 1]);
  expect(keel::channel_write(p.a, big, sizeof(big), hs, KEEL_CHANNEL_MAX_HANDLES), KEEL_OK,
         "write the largest message (4096 bytes, 16 handles)");
  bool moved = true;
  for (keel_handle_t h : hs) moved &= !alive(h);
  tap::ok(moved, "the sender no longer has the 16 handles");
  int64_t r = receive(p.b);
  bool received = r == KEEL_OK && got.n == sizeof(big) &&
                  memcmp(got.bytes, big, sizeof(big)) == 0 && got.nh == KEEL_CHANNEL_MAX_HANDLES;
  for (size_t i = 0; i < got.nh; i++) received &= alive(got.handles[i]);
  tap::ok(received, "the receiver has all 4096 bytes and 16 working handles");
  for (size_t i = 0; i < got.nh; i++) keel::handle_close(got.handles[i]);

  // The peer goes: queued messages are still delivered, then ERR_PEER_CLOSED.
  keel::channel_write(p.a, "last", 4);
  keel::handle_close(p.a);
  tap::ok(receive(p.b) == KEEL_OK && got.is("last"),
          "a message queued before the peer closed is delivered");
  expect(receive(p.b), ERR_PEER_CLOSED, "then the read says the peer closed");
  Pair x = make_pair();
  expect(keel::channel_write(p.b, "z", 1, &x.a, 1), ERR_PEER_CLOSED, "write to a closed peer");
  tap::ok(alive(x.a), "the handle it carried stays with the sender");
  close_all({p.b, x.a, x.b});
  tap::at_baseline(base, "write and read");
}

void limits(const keel::KstatSnapshot& base) {
  static uint8_t big[KEEL_CHANNEL_MAX_BYTES + 1];
  Pair p = make_pair();
  expect(keel::channel_write(p.a, big, sizeof(big)), ERR_OUT_OF_RANGE, "write 4097 bytes");
  keel_handle_t hs[KEEL_CHANNEL_MAX_HANDLES + 2];
  for (size_t i = 0; i < KEEL_CHANNEL_MAX_HANDLES + 2; i += 2)
    keel::channel_create(&hs[i], &hs[i + 1]);
  expect(keel::channel_write(p.a, "x", 1, hs, KEEL_CHANNEL_MAX_HANDLES + 1), ERR_OUT_OF_RANGE,
         "write 17 handles");
  bool kept = true;
  for (keel_handle_t h : hs) kept &= alive(h);
  tap::ok(kept, "the sender keeps all 17");
  expect(receive(p.b), ERR_SHOULD_WAIT, "nothing was queued");

  size_t queued = 0;
  while (queued < KEEL_CHANNEL_MAX_QUEUED && keel::channel_write(p.a, &queued, 1) == KEEL_OK)
    queued++;
  tap::ok(queued == KEEL_CHANNEL_MAX_QUEUED, "%zu messages queue up", queued);
  expect(keel::channel_write(p.a, "x", 1), ERR_SHOULD_WAIT, "the next write finds the queue full");
  expect(keel::channel_write(p.a, "x", 1, hs, 1), ERR_SHOULD_WAIT, "so does one carrying a handle");
  tap::ok(alive(hs[0]), "which the sender keeps");
  tap::ok(receive(p.b) == KEEL_OK, "read one");
  expect(keel::channel_write(p.a, "x", 1), KEEL_OK, "then there is room for one more");
  expect(keel::channel_write(p.b, "y", 1), KEEL_OK, "the other direction has its own queue");
  for (keel_handle_t h : hs) keel::handle_close(h);
  close_all({p.a, p.b});  // 256 + 1 messages go with them
  tap::at_baseline(base, "limits");
}

void write_bad_pointers(const keel::KstatSnapshot& base) {
  Pair p = make_pair(), x = make_pair();
  utest::each_bad_pointer("channel_write bytes from", false, [&](uintptr_t q) {
    return syscall6(SYS_CHANNEL_WRITE, p.a, q, 8, 0, 0);
  });
  utest::each_bad_pointer("channel_write handles from", true, [&](uintptr_t q) {
    return syscall6(SYS_CHANNEL_WRITE, p.a, u("x"), 1, q, 1);
  });
  // A handle array that starts mapped and runs into an unmapped page.
  auto* edge = utest::ptr<keel_handle_t>(u(utest::scratch()) + 4096 - sizeof(keel_handle_t));
  *edge = x.a;
  expect(keel::channel_write(p.a, "x", 1, edge, 2), ERR_INVALID_ARGS,
         "channel_write handles running off the end of a mapping");
  tap::ok(alive(x.a), "the handle in it stays with the sender");
  expect(keel::channel_write(p.a, utest::scratch() + 4096 - 4, 8), ERR_INVALID_ARGS,
         "channel_write bytes running off the end of a mapping");
  expect(receive(p.b), ERR_SHOULD_WAIT, "nothing was queued");
  close_all({p.a, p.b, x.a, x.b});
  tap::at_baseline(base, "channel_write with bad pointers");
}

void read_bad_pointers(const keel::KstatSnapshot& base) {
  Pair p = make_pair(), x = make_pair();
  keel::channel_write(p.a, "payload", 7, &x.a, 1);
  char buf[16];
  keel_handle_t hs[4];
  keel_channel_read_args good{};
  good.bytes = buf;
  good.bytes_cap = sizeof(buf);
  good.handles = hs;
  good.handles_cap = 4;
  utest::each_bad_pointer("channel_read args at", true,
                          [&](uintptr_t q) { return syscall6(SYS_CHANNEL_READ, p.b, q); });
  utest::each_bad_pointer("channel_read bytes into", false, [&](uintptr_t q) {
    keel_channel_read_args a = good;
    a.bytes = utest::ptr<void>(q);
    return keel::channel_read(p.b, &a);
  });
  utest::each_bad_pointer("channel_read handles into", true, [&](uintptr_t q) {
    keel_channel_read_args a = good;
    a.handles = utest::ptr<keel_handle_t>(q);
    return keel::channel_read(p.b, &a);
  });
  keel_channel_read_args a = good;
  a.bytes = utest::scratch() + 4096 - 4;
  expect(keel::channel_read(p.b, &a), ERR_INVALID_ARGS,
         "channel_read bytes running off the end of a mapping");
  uint8_t* ro = utest::read_only();
  a = good;
  a.bytes = ro;
  expect(keel::channel_read(p.b, &a), ERR_INVALID_ARGS, "channel_read bytes into read-only memory");
  a = good;
  a.handles = utest::ptr<keel_handle_t>(u(ro));
  expect(keel::channel_read(p.b, &a), ERR_INVALID_ARGS,
         "channel_read handles into read-only memory");
  tap::ok(receive(p.b) == KEEL_OK && got.is("payload") && got.nh == 1 && alive(got.handles[0]),
          "the message is still there, whole, with its handle");
  keel::handle_close(got.handles[0]);

  // Arguments the kernel can read but not write back: an empty message
  // would fit them, and must not be consumed.
  keel::channel_write(p.a, nullptr, 0);
  expect(keel::channel_read(p.b, utest::ptr<keel_channel_read_args>(u(ro))), ERR_INVALID_ARGS,
         "channel_read args in read-only memory");
  tap::ok(receive(p.b) == KEEL_OK && got.n == 0, "the empty message is still there");
  close_all({p.a, p.b, x.b});
  tap::at_baseline(base, "channel_read with bad pointers");
}

void buffer_too_small(const keel::KstatSnapshot& base) {
  Pair p = make_pair(), x = make_pair();
  keel_handle_t hs[2] = {x.a, x.b};
  keel::channel_write(p.a, "0123456789", 10, hs, 2);
  expect(receive(p.b, 4), ERR_BUFFER_TOO_SMALL, "read 10 bytes into 4");
  tap::ok(got.n == 10 && got.nh == 2, "the read reports the real sizes (%zu bytes, %zu handles)",
          got.n, got.nh);
  expect(receive(p.b, sizeof(got.bytes), 1), ERR_BUFFER_TOO_SMALL,
         "read 2 handles into room for 1");
  tap::ok(got.n == 10 && got.nh == 2, "the read reports the real sizes again");
  expect(receive(p.b, 0, 0), ERR_BUFFER_TOO_SMALL, "read with no buffers at all");
  tap::ok(receive(p.b) == KEEL_OK && got.is("0123456789") && got.nh == 2 && alive(got.handles[0]) &&
              alive(got.handles[1]),
          "the message stayed queued, whole");
  close_all({p.a, p.b, got.handles[0], got.handles[1]});
  tap::at_baseline(base, "buffer too small");
}

void transfer(const keel::KstatSnapshot& base) {
  Pair p = make_pair(), q = make_pair();
  keel_object_info before = utest::info_of(q.a);
  constexpr uint32_t fewer = KEEL_RIGHT_WRITE | KEEL_RIGHT_TRANSFER | KEEL_RIGHT_INSPECT;
  keel_handle_t reduced;
  keel::handle_duplicate(q.a, fewer, &reduced);
  keel_handle_t hs[2] = {q.a, reduced};
  expect(keel::channel_write(p.a, "t", 1, hs, 2), KEEL_OK, "send a handle and a reduced duplicate");
  expect(keel::object_info(q.a, utest::ptr<keel_object_info>(u(utest::scratch()))), ERR_BAD_HANDLE,
         "the sender's handle is gone");
  expect(keel::handle_close(reduced), ERR_BAD_HANDLE, "so is the duplicate");
  tap::ok(receive(p.b) == KEEL_OK && got.nh == 2, "the receiver gets two handles");
  keel_object_info r0 = utest::info_of(got.handles[0]), r1 = utest::info_of(got.handles[1]);
  tap::ok(r0.koid == before.koid && r0.rights == CHANNEL_RIGHTS,
          "the first: same endpoint, same rights");
  tap::ok(r1.koid == before.koid && r1.rights == fewer,
          "the second: same endpoint, the reduced rights");
  keel_handle_t moved = got.handles[0], moved_reduced = got.handles[1];
  expect(keel::channel_write(moved_reduced, "via", 3), KEEL_OK, "the received handle works");
  tap::ok(receive(q.b) == KEEL_OK && got.is("via"), "and reaches the same peer");

  keel_handle_t child = utest::start("sleeper", "100000");
  expect(keel::channel_write(p.a, "p", 1, &child, 1), KEEL_OK, "send a process handle");
  tap::ok(receive(p.b) == KEEL_OK && got.nh == 1 &&
              utest::info_of(got.handles[0]).type == KEEL_OBJ_PROCESS,
          "it arrives as a process handle");
  tap::ok(utest::reap(got.handles[0]) == KEEL_EXIT_KILLED, "and can kill and reap the child");
  close_all({p.a, p.b, q.b, moved, moved_reduced});
  tap::at_baseline(base, "handle transfer");
}

// Endpoints that may not travel: ERR_INVALID_ARGS, nothing moved.
void self_and_peer(const keel::KstatSnapshot& base) {
  Pair p = make_pair(), x = make_pair(), full = make_pair();
  keel_handle_t peer_dup;
  keel::handle_duplicate(p.b, KEEL_RIGHTS_SAME, &peer_dup);
  keel::channel_write(full.a, "m", 1);  // full.b now holds a message
  keel::KstatSnapshot before;
  tap::baseline(before);
  expect(keel::channel_write(p.a, "s", 1, &p.a, 1), ERR_INVALID_ARGS,
         "send an endpoint through itself");
  expect(keel::channel_write(p.a, "s", 1, &p.b, 1), ERR_INVALID_ARGS,
         "send an endpoint's peer through it");
  expect(keel::channel_write(p.a, "s", 1, &peer_dup, 1), ERR_INVALID_ARGS,
         "send a duplicate of the peer");
  keel_handle_t mixed[2] = {x.a, p.b};
  expect(keel::channel_write(p.a, "s", 1, mixed, 2), ERR_INVALID_ARGS,
         "send the peer after a good handle");
  keel_handle_t twice[2] = {x.a, x.a};
  expect(keel::channel_write(p.a, "s", 1, twice, 2), ERR_INVALID_ARGS, "send one handle twice");
  expect(keel::channel_write(p.a, "s", 1, &full.b, 1), ERR_INVALID_ARGS,
         "send an endpoint that holds queued messages");
  char reply[8];
  keel_channel_call_args c = call_args("s", reply, sizeof(reply), 20);
  c.wr_handles = &p.b;
  c.wr_num_handles = 1;
  expect(keel::channel_call(p.a, &c), ERR_INVALID_ARGS, "channel_call carrying the peer");
  tap::ok(alive(p.a) && alive(p.b) && alive(peer_dup) && alive(x.a) && alive(full.b),
          "every handle stayed with the sender");
  tap::at_baseline(before, "nothing was sent");
  close_all({p.a, p.b, peer_dup, x.a, x.b, full.a, full.b});
  tap::at_baseline(base, "endpoints that may not travel");
}

// Both ends closed while messages carry handles, channels inside channels:
// everything is freed.
void close_with_nested(const keel::KstatSnapshot& base) {
  // One level: messages carrying endpoints that, once on their way, are sent
  // messages carrying endpoints in turn.
  Pair p = make_pair();
  bool sent = true;
  for (int i = 0; i < 3; i++) {
    Pair x = make_pair(), y = make_pair();
    sent &= keel::channel_write(i % 2 ? p.a : p.b, "carry", 5, &x.a, 1) == KEEL_OK;
    sent &= keel::channel_write(x.b, "inner", 5, &y.a, 1) == KEEL_OK;  // queued at x.a, in flight
    close_all({x.b, y.b});
  }
  tap::ok(sent, "queued messages carrying channels that hold messages with handles");
  keel_handle_t child = utest::start("exitcode", "1");
  sent = utest::await_exit(child) && keel::channel_write(p.a, "proc", 4, &child, 1) == KEEL_OK;
  tap::ok(sent, "and a message carrying the handle of an exited child (its exit record)");
  close_all({p.a, p.b});
  tap::at_baseline(base, "both ends closed with handles in flight");

  // A chain: b[i] travels inside b[i-1]'s queue, 100 deep, with a pair at the end.
  constexpr int DEPTH = 100;
  static Pair chain[DEPTH];
  for (Pair& c : chain) c = make_pair();
  sent = true;
  for (int i = 0; i + 1 < DEPTH; i++)
    sent &= keel::channel_write(chain[i].a, "n", 1, &chain[i + 1].b, 1) == KEEL_OK;
  Pair leaf = make_pair();
  sent &= keel::channel_write(chain[DEPTH - 1].a, "end", 3, &leaf.b, 1) == KEEL_OK;
  sent &= keel::channel_write(leaf.a, "leaf", 4) == KEEL_OK;
  keel::handle_close(leaf.a);
  tap::ok(sent, "a chain of %d channels, each inside the one before", DEPTH);
  keel::handle_close(chain[0].b);  // the head goes first: the chain unwinds from it
  for (Pair& c : chain) keel::handle_close(c.a);
  tap::at_baseline(base, "a nested chain freed when its ends closed");
}

void call(const keel::KstatSnapshot& base) {
  Pair p = make_pair();
  keel_handle_t server = utest::start("ipc-echo", nullptr, p.b);
  char reply[16];
  keel_channel_call_args c = call_args("ping", reply, sizeof(reply));
  tap::ok(keel::channel_call(p.a, &c) == KEEL_OK && c.actual_bytes == 4 &&
              memcmp(reply, "ping", 4) == 0,
          "channel_call to an echo server");
  Pair x = make_pair();
  uint64_t koid = utest::info_of(x.a).koid;
  c = call_args("handle", reply, sizeof(reply));
  c.wr_handles = &x.a;
  c.wr_num_handles = 1;
  tap::ok(keel::channel_call(p.a, &c) == KEEL_OK && c.actual_handles == 1 &&
              utest::info_of(got.handles[0]).koid == koid,
          "a handle goes out with the call and comes back with the reply");
  keel::handle_close(got.handles[0]);
  c = call_args("0123456789", reply, 4);
  expect(keel::channel_call(p.a, &c), ERR_BUFFER_TOO_SMALL, "a reply too big for the buffer");
  tap::ok(c.actual_bytes == 10, "the call reports its size (%zu)", c.actual_bytes);
  tap::ok(receive(p.a, sizeof(got.bytes), 0, keel::PATIENCE_MS) == KEEL_OK && got.is("0123456789"),
          "the reply stayed queued");
  c = call_args("ping", reply, sizeof(reply), 0);
  expect(keel::channel_call(p.a, &c), ERR_INVALID_ARGS, "channel_call that may not wait");
  keel::handle_close(p.a);
  tap::ok(utest::reap(server, false) == 0, "the server exits 0 when its peer closes");

  Pair q = make_pair();
  c = call_args("anyone?", reply, sizeof(reply), 30);
  expect(keel::channel_call(q.a, &c), ERR_TIMED_OUT, "channel_call that nobody answers");
  tap::ok(receive(q.b) == KEEL_OK && got.is("anyone?"), "the request was delivered");
  keel::handle_close(q.b);
  c = call_args("hello?", reply, sizeof(reply));
  expect(keel::channel_call(q.a, &c), ERR_PEER_CLOSED, "channel_call to a closed peer");

  // The peer's holder exits while we wait for the reply: our request dies
  // with its endpoint, and the call ends.
  Pair r = make_pair();
  keel_handle_t holder = utest::start("sleeper", "100", r.b);
  c = call_args("still there?", reply, sizeof(reply), KEEL_TIMEOUT_INFINITE);
  expect(keel::channel_call(r.a, &c), ERR_PEER_CLOSED,
         "channel_call whose peer goes away meanwhile");
  utest::reap(holder, false);
  close_all({q.a, r.a, x.b});
  tap::at_baseline(base, "channel_call");
}

void call_bad_pointers(const keel::KstatSnapshot& base) {
  Pair p = make_pair(), x = make_pair();
  keel::channel_write(p.b, "reply", 5);  // already waiting: a call gets it at once
  keel::KstatSnapshot before;
  tap::baseline(before);
  char reply[16];
  keel_channel_call_args good = call_args("request", reply, sizeof(reply), 1000);
  good.wr_handles = &x.a;
  good.wr_num_handles = 1;
  auto call_with = [&](auto change) {
    keel_channel_call_args c = good;
    change(c);
    return keel::channel_call(p.a, &c);
  };
  utest::each_bad_pointer("channel_call args at", true,
                          [&](uintptr_t q) { return syscall6(SYS_CHANNEL_CALL, p.a, q); });
  utest::each_bad_pointer("channel_call request bytes from", false, [&](uintptr_t q) {
    return call_with([&](keel_channel_call_args& c) { c.wr_bytes = utest::ptr<void>(q); });
  });
  utest::each_bad_pointer("channel_call request handles from", true, [&](uintptr_t q) {
    return call_with(
        [&](keel_channel_call_args& c) { c.wr_handles = utest::ptr<keel_handle_t>(q); });
  });
  utest::each_bad_pointer("channel_call reply bytes into", false, [&](uintptr_t q) {
    return call_with([&](keel_channel_call_args& c) { c.rd_bytes = utest::ptr<void>(q); });
  });
  utest::each_bad_pointer("channel_call reply handles into", true, [&](uintptr_t q) {
    return call_with(
        [&](keel_channel_call_args& c) { c.rd_handles = utest::ptr<keel_handle_t>(q); });
  });
  uint8_t* ro = utest::read_only();
  expect(call_with([&](keel_channel_call_args& c) { c.rd_bytes = ro; }), ERR_INVALID_ARGS,
         "channel_call reply bytes into read-only memory");
  expect(call_with(
             [&](keel_channel_call_args& c) { c.rd_handles = utest::ptr<keel_handle_t>(u(ro)); }),
         ERR_INVALID_ARGS, "channel_call reply handles into read-only memory");
  expect(call_with([&](keel_channel_call_args& c) { c.wr_num_bytes = KEEL_CHANNEL_MAX_BYTES + 1; }),
         ERR_OUT_OF_RANGE, "channel_call with a request too big");
  expect(call_with(
             [&](keel_channel_call_args& c) { c.wr_num_handles = KEEL_CHANNEL_MAX_HANDLES + 1; }),
         ERR_OUT_OF_RANGE, "channel_call with too many handles");
  tap::at_baseline(before, "bad call arguments sent nothing and consumed nothing");
  tap::ok(alive(x.a), "the handle in the request stayed with the caller");
  tap::ok(keel::channel_call(p.a, &good) == KEEL_OK && good.actual_bytes == 5 &&
              memcmp(reply, "reply", 5) == 0,
          "a good call then gets the waiting reply");
  tap::ok(receive(p.b) == KEEL_OK && got.is("request") && got.nh == 1,
          "and its request was sent once");
  close_all({p.a, p.b, x.b, got.handles[0]});
  tap::at_baseline(base, "channel_call with bad pointers");
}

void kill_blocked_caller(const keel::KstatSnapshot& base) {
  Pair p = make_pair();
  keel_handle_t caller = utest::start("caller", nullptr, p.b);
  tap::ok(receive(p.a, sizeof(got.bytes), 0, keel::PATIENCE_MS) == KEEL_OK && got.is("call"),
          "the caller's request arrived; it now waits for a reply");
  keel::sleep_ms(20);
  tap::ok(utest::info_of(caller).state == KEEL_STATE_RUNNING,
          "the caller is still blocked in the call");
  expect(keel::process_kill(caller), KEEL_OK, "kill it");
  tap::ok(utest::reap(caller, false) == KEEL_EXIT_KILLED, "it exits with the kill status");
  expect(receive(p.a), ERR_PEER_CLOSED, "its end of the channel is closed");
  keel::handle_close(p.a);
  tap::at_baseline(base, "kill a process blocked in channel_call");
}

// --- channel_call: which phase failed ---

// `utest-channel hog`: take every frame the kernel can give, then close the
// startup handle (which needs no memory) to say so, and wait to be killed;
// the kernel takes everything back, page tables included, when it dies.
// vm_alloc can stop with a frame or two still free (a page needs its page
// table too), so 4096-byte messages, which need one frame each, queued on
// its own channel take the rest: what is left cannot hold a parent's
// 4096-byte request either.
int hog_memory() {
  static char page[KEEL_CHANNEL_MAX_BYTES];
  keel_handle_t a, b;
  if (keel::channel_create(&a, &b) != KEEL_OK) return 1;
  for (size_t sz = size_t{64} << 20; sz >= 4096; sz /= 2) {
    uintptr_t addr;
    while (keel::vm_alloc(sz, KEEL_VM_READ, &addr) == KEEL_OK) {
    }
  }
  int64_t r;
  while ((r = keel::channel_write(a, page, sizeof(page))) == KEEL_OK) {
  }
  if (r != ERR_NO_MEMORY) return 2;  // the queue filled first: memory is left
  keel::handle_close(keel::startup_handle(0));
  for (;;) keel::sleep_ms(3600 * 1000);  // until killed
}

// A child holding every free frame, until release(): meanwhile every kernel
// allocation (a message among them) fails.
struct MemoryHog {
  Pair q;
  keel_handle_t child = KEEL_HANDLE_INVALID;
  bool take_all() {
    q = make_pair();
    child = utest::start("utest-channel", "hog", q.b);
    // It closes its end when it is done. Ours stays open until release():
    // closing it now would free an endpoint, maybe a whole slab, for the
    // next allocation to take.
    return receive(q.a, 0, 0, 60000) == ERR_PEER_CLOSED;
  }
  void release() {
    utest::reap(child);
    keel::handle_close(q.a);
  }
};

constexpr uint32_t NOT_WRITTEN = 0xeeu;  // what `sent` holds before each call

// One call carrying `carried` in its request. Checks the status, that `sent`
// was written back as `want_sent`, and that the carried handle is still the
// caller's exactly when sent is 0.
void expect_call(keel_handle_t ch, keel_channel_call_args& c, keel_handle_t carried, int64_t want,
                 uint32_t want_sent, const char* what) {
  c.wr_handles = &carried;
  c.wr_num_handles = 1;
  c.sent = NOT_WRITTEN;
  c.actual_bytes = c.actual_handles = 12345;
  int64_t r = keel::channel_call(ch, &c);
  expect(r, want, "channel_call %s", what);
  bool kept = alive(carried);
  tap::ok(c.sent == want_sent && kept == (want_sent == 0),
          "%s: sent %u (want %u), the carried handle %s", what, c.sent, want_sent,
          kept ? "stayed with the caller" : "has moved");
}

void call_phases(const keel::KstatSnapshot& base) {
  char reply[16];
  keel_channel_call_args c;
  Pair x = make_pair();  // x.a travels in the requests
  keel::KstatSnapshot before;

  // Phase 1 fails: sent 0, nothing queued, the handle stays.
  Pair p = make_pair(), s = make_pair();
  keel::handle_close(s.a);  // a stale value
  tap::baseline(before);
  c = call_args("request", reply, sizeof(reply), 1000);
  keel_handle_t two[2] = {x.a, s.a};
  c.wr_handles = two;
  c.wr_num_handles = 2;
  c.sent = NOT_WRITTEN;
  expect(keel::channel_call(p.a, &c), ERR_BAD_HANDLE,
         "channel_call with a closed handle in the request");
  tap::ok(c.sent == 0 && alive(x.a),
          "before the send: sent 0, the good handle stayed with the caller");
  keel_handle_t no_write;
  keel::handle_duplicate(p.a, CHANNEL_RIGHTS & ~KEEL_RIGHT_WRITE, &no_write);
  c = call_args("request", reply, sizeof(reply), 1000);
  expect_call(no_write, c, x.a, ERR_ACCESS_DENIED, 0, "on a handle without WRITE");
  keel::handle_close(no_write);
  c = call_args("request", reply, sizeof(reply), 0);
  expect_call(p.a, c, x.a, ERR_INVALID_ARGS, 0, "that may not wait");
  static char big[KEEL_CHANNEL_MAX_BYTES + 1];
  c = call_args("", reply, sizeof(reply), 1000);
  c.wr_bytes = big;
  c.wr_num_bytes = sizeof(big);
  expect_call(p.a, c, x.a, ERR_OUT_OF_RANGE, 0, "with a request too big");
  c = call_args("request", utest::read_only(), sizeof(reply), 1000);
  expect_call(p.a, c, x.a, ERR_INVALID_ARGS, 0, "with a reply buffer in read-only memory");
  tap::ok(c.actual_bytes == 0 && c.actual_handles == 0,
          "the sizes are written back as 0 (%zu, %zu)", c.actual_bytes, c.actual_handles);
  // No memory for the request (4096 bytes need a frame of their own).
  static char page[KEEL_CHANNEL_MAX_BYTES];
  MemoryHog hog;
  tap::ok(hog.take_all(), "a child now holds every free frame");
  c = call_args("", reply, sizeof(reply), 1000);
  c.wr_bytes = page;
  c.wr_num_bytes = sizeof(page);
  expect_call(p.a, c, x.a, ERR_NO_MEMORY, 0, "with no memory for the request");
  hog.release();
  tap::at_baseline(before, "calls that failed before the send sent nothing");
  tap::ok(receive(p.b) == ERR_SHOULD_WAIT, "nothing is queued at the peer");
  // The peer's queue is full.
  size_t queued = 0;
  while (queued < KEEL_CHANNEL_MAX_QUEUED && keel::channel_write(p.a, "f", 1) == KEEL_OK) queued++;
  c = call_args("request", reply, sizeof(reply), 1000);
  expect_call(p.a, c, x.a, ERR_SHOULD_WAIT, 0, "to a full queue");
  // The peer is already gone.
  keel::handle_close(p.b);
  c = call_args("request", reply, sizeof(reply), 1000);
  expect_call(p.a, c, x.a, ERR_PEER_CLOSED, 0, "to a peer closed before the call");
  keel::handle_close(p.a);

  // Phase 2 fails: sent 1, the handle has moved.
  // The reply does not fit: it stays queued, with its sizes reported.
  p = make_pair();
  Pair y = make_pair();
  keel::channel_write(p.b, "0123456789", 10, &y.a, 1);  // the "reply", already waiting
  c = call_args("request", reply, 4, 1000);
  expect_call(p.a, c, x.a, ERR_BUFFER_TOO_SMALL, 1, "whose reply is too big for the buffer");
  tap::ok(c.actual_bytes == 10 && c.actual_handles == 1,
          "the call reports the reply's size (%zu, %zu)", c.actual_bytes, c.actual_handles);
  tap::ok(receive(p.b) == KEEL_OK && got.is("request") && got.nh == 1 && alive(got.handles[0]),
          "the request went out with the handle");
  x.a = got.handles[0];  // ours again, under a new value
  tap::ok(receive(p.a) == KEEL_OK && got.is("0123456789") && got.nh == 1,
          "the reply stayed queued");
  y.a = got.handles[0];

  // The reply's handles do not fit the handle table: ERR_NO_MEMORY, sizes
  // reported, the reply stays queued; channel_read says the same.
  keel_handle_t two_ends[2];
  keel::channel_create(&two_ends[0], &two_ends[1]);
  keel::channel_write(p.b, "reply", 5, two_ends, 2);
  size_t filled = 0;
  static keel_handle_t filler[KEEL_MAX_HANDLES_PER_PROCESS];
  while (keel::handle_duplicate(p.b, KEEL_RIGHTS_SAME, &filler[filled]) == KEEL_OK) filled++;
  c = call_args("request", reply, sizeof(reply), 1000);
  expect_call(p.a, c, x.a, ERR_NO_MEMORY, 1, "whose reply's 2 handles do not fit the handle table");
  tap::ok(c.actual_bytes == 5 && c.actual_handles == 2,
          "the call reports the reply's size (%zu, %zu)", c.actual_bytes, c.actual_handles);
  keel_channel_read_args ra{};
  ra.bytes = got.bytes;
  ra.bytes_cap = sizeof(got.bytes);
  ra.handles = got.handles;
  ra.handles_cap = KEEL_CHANNEL_MAX_HANDLES;
  ra.actual_bytes = ra.actual_handles = 12345;
  expect(keel::channel_read(p.a, &ra), ERR_NO_MEMORY,
         "channel_read of that reply into the full table");
  tap::ok(ra.actual_bytes == 5 && ra.actual_handles == 2,
          "channel_read reports its size too (%zu, %zu)", ra.actual_bytes, ra.actual_handles);
  for (size_t i = 0; i < filled; i++) keel::handle_close(filler[i]);
  tap::ok(receive(p.a) == KEEL_OK && got.is("reply") && got.nh == 2, "the reply stayed queued");
  close_all({got.handles[0], got.handles[1]});
  tap::ok(receive(p.b) == KEEL_OK && got.is("request") && got.nh == 1, "the request went out");
  x.a = got.handles[0];

  // Nobody answers: the request stays sent.
  c = call_args("request", reply, sizeof(reply), 30);
  expect_call(p.a, c, x.a, ERR_TIMED_OUT, 1, "that nobody answers");
  tap::ok(receive(p.b) == KEEL_OK && got.is("request") && got.nh == 1, "the request was delivered");
  x.a = got.handles[0];
  close_all({p.a, p.b});

  // The peer goes away while the caller waits: holder (no count) takes the
  // request as its one read and exits, closing its end.
  p = make_pair();
  keel_handle_t holder = utest::start("holder", "0", p.b);
  tap::ok(receive(p.a, sizeof(got.bytes), 0, 5000) == KEEL_OK && got.is("ready"),
          "the holder is ready");
  c = call_args("request", reply, sizeof(reply), KEEL_TIMEOUT_INFINITE);
  expect_call(p.a, c, x.a, ERR_PEER_CLOSED, 1, "whose peer goes away while it waits");
  utest::reap(holder, false);
  keel::handle_close(p.a);

  // And a call that works says sent 1 too.
  p = make_pair();
  keel::channel_write(p.b, "ok", 2);
  c = call_args("request", reply, sizeof(reply), 1000);
  expect_call(p.a, c, x.b, KEEL_OK, 1, "that gets its reply");
  tap::ok(c.actual_bytes == 2 && c.actual_handles == 0, "with the reply's size");
  tap::ok(receive(p.b) == KEEL_OK && got.is("request") && got.nh == 1, "the request went out");
  close_all({p.a, p.b, got.handles[0], y.a, y.b, s.b});
  tap::at_baseline(base, "channel_call reports the phase that failed");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && libk::str_eq(argv[1], "hog")) return hog_memory();  // call_phases' helper
  tap::plan(207);
  utest::scratch();  // warm up: the scratch and read-only pages
  utest::read_only();
  utest::grow_handle_table(KEEL_MAX_HANDLES_PER_PROCESS);  // the whole table (call_phases fills it)
  keel::KstatSnapshot base;
  tap::baseline(base);

  create(base);
  write_and_read(base);
  limits(base);
  write_bad_pointers(base);
  read_bad_pointers(base);
  buffer_too_small(base);
  transfer(base);
  self_and_peer(base);
  close_with_nested(base);
  call(base);
  call_bad_pointers(base);
  kill_blocked_caller(base);
  call_phases(base);
  return tap::done();
}
