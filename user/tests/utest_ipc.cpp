// Register IPC (ipc_call, ipc_reply_wait): argument checks; what arrives
// (bytes past the length are zero, whatever the sender's registers held);
// interplay with channel_write/read (either side may use either); a message
// too big for registers stays queued; a parked task woken by its peer
// closing, by its own handle closed from another task (its reference keeps
// the endpoint alive), and by a kill; timeouts; many round trips through
// the fast path against a server task of this process and a server process.
// Every group ends with the counters back.
#include "common.h"

using utest::expect;

namespace {

keel::IpcMessage words(uint64_t n, uint64_t fill) {
  keel::IpcMessage m{};
  for (auto& w : m.w) w = fill;
  m.bytes = n;
  return m;
}

// The bytes of m: n bytes of `fill`, zero after.
bool is_masked(const keel::IpcMessage& m, uint64_t n, uint64_t fill) {
  if (m.bytes != n) return false;
  const auto* b = reinterpret_cast<const uint8_t*>(m.w);
  const auto* f = reinterpret_cast<const uint8_t*>(&fill);
  for (uint64_t i = 0; i < KEEL_IPC_MAX_BYTES; i++)
    if (b[i] != (i < n ? f[i % 8] : 0)) return false;
  return true;
}

// A server task: echoes every message until its channel's peer closes
// (returns 0) or anything else goes wrong (returns the status).
int64_t echo(void* arg) {
  keel_handle_t ch = reinterpret_cast<keel_handle_t>(arg);
  keel::IpcMessage m{};
  m.bytes = KEEL_IPC_NO_REPLY;
  for (;;) {
    int64_t r = keel::ipc_reply_wait(ch, m, KEEL_TIMEOUT_INFINITE);
    if (r == ERR_PEER_CLOSED) return 0;
    if (r != KEEL_OK) return r;
  }
}

// Until the task's activity reads blocked (it is parked), within PATIENCE_MS.
bool parks(keel_handle_t task) {
  uint64_t start = keel::clock_ms();
  while (keel::clock_ms() - start < keel::PATIENCE_MS) {
    if (utest::info_of(task).activity == KEEL_ACTIVITY_BLOCKED) return true;
    keel::yield();
  }
  return false;
}

int64_t sleeps_long(void*) { return keel::sleep_ms(UINT64_MAX / 2); }

// Waits once, with nothing to reply: the status it ends with.
int64_t wait_once(void* arg) {
  keel::IpcMessage m{};
  m.bytes = KEEL_IPC_NO_REPLY;
  return keel::ipc_reply_wait(reinterpret_cast<keel_handle_t>(arg), m, KEEL_TIMEOUT_INFINITE);
}

void checks(const keel::KstatSnapshot& base) {
  keel_handle_t a, b;
  keel::channel_create(&a, &b);
  keel::IpcMessage m = words(33, 0);
  expect(keel::ipc_call(a, m, KEEL_TIMEOUT_INFINITE), ERR_OUT_OF_RANGE, "ipc_call of 33 bytes");
  m = words(8, 0);
  expect(keel::ipc_call(a, m, 0), ERR_INVALID_ARGS, "ipc_call with timeout 0");
  expect(keel::ipc_call(KEEL_HANDLE_INVALID, m, KEEL_TIMEOUT_INFINITE), ERR_BAD_HANDLE,
         "ipc_call on no handle");
  expect(keel::ipc_call(a + (1ull << 20), m, KEEL_TIMEOUT_INFINITE), ERR_BAD_HANDLE,
         "ipc_call on a stale handle value");
  keel_handle_t read_only;
  keel::handle_duplicate(a, KEEL_RIGHT_READ, &read_only);
  expect(keel::ipc_call(read_only, m, KEEL_TIMEOUT_INFINITE), ERR_ACCESS_DENIED,
         "ipc_call without WRITE");
  m.bytes = KEEL_IPC_NO_REPLY;
  expect(keel::ipc_reply_wait(read_only, m, 10), ERR_TIMED_OUT,
         "ipc_reply_wait with READ alone may wait (and times out)");
  m = words(4, 0);
  expect(keel::ipc_reply_wait(read_only, m, 10), ERR_ACCESS_DENIED,
         "ipc_reply_wait that replies needs WRITE");
  keel::Thread t;
  keel::thread_start(t, wait_once, reinterpret_cast<void*>(b));
  keel_object_info info = utest::info_of(t.handle);
  m = words(8, 0);
  expect(keel::ipc_call(t.handle, m, KEEL_TIMEOUT_INFINITE), ERR_WRONG_TYPE,
         "ipc_call on a task handle");
  tap::ok(parks(t.handle), "the waiting task reads as blocked");
  keel::Thread sleeper;
  keel::thread_start(sleeper, sleeps_long, nullptr);
  bool asleep = false;
  for (uint64_t start = keel::clock_ms(); !asleep && keel::clock_ms() - start < keel::PATIENCE_MS;
       keel::yield())
    asleep = utest::info_of(sleeper.handle).activity == KEEL_ACTIVITY_SLEEPING;
  tap::ok(asleep, "a task in sleep_ms reads as sleeping");
  keel::task_kill(sleeper.handle);
  int64_t scode = 0;
  keel::thread_join(sleeper, &scode);
  keel::handle_close(read_only);
  keel::handle_close(a);  // the waiting task sees its peer go
  int64_t code = 0;
  keel::thread_join(t, &code);
  expect(code, ERR_PEER_CLOSED, "a task parked in ipc_reply_wait wakes when the peer closes");
  (void)info;
  keel::handle_close(b);
  tap::at_baseline(base, "refused register calls change nothing");
}

void interplay(const keel::KstatSnapshot& base) {
  keel_handle_t a, b;
  keel::channel_create(&a, &b);
  const char text[] = "sixteen bytes!!";
  keel::channel_write(a, text, 16);
  keel::IpcMessage m = words(KEEL_IPC_NO_REPLY, 0x5555555555555555ull);
  expect(keel::ipc_reply_wait(b, m, 100), KEEL_OK, "ipc_reply_wait takes a channel_write");
  tap::ok(m.bytes == 16 && memcmp(m.w, text, 16) == 0 && m.w[2] == 0 && m.w[3] == 0,
          "its 16 bytes in a1/a2, zeros after");
  // Reply from registers, read the general way.
  m = words(5, 0x0102030405060708ull);
  keel::IpcMessage none = words(KEEL_IPC_NO_REPLY, 0);
  (void)none;
  expect(keel::ipc_reply_wait(b, m, 5), ERR_TIMED_OUT,
         "ipc_reply_wait sends its reply, then times out waiting");
  char got[64];
  size_t n = 0;
  expect(keel::read_message(a, got, sizeof(got), &n, nullptr, 0, nullptr, 0), KEEL_OK,
         "channel_read takes the register reply");
  tap::ok(n == 5 && got[0] == 0x08 && got[4] == 0x04, "5 bytes, in order");
  // Too big for registers: stays queued.
  char big[100] = {};
  keel::channel_write(a, big, sizeof(big));
  m = words(KEEL_IPC_NO_REPLY, 0);
  expect(keel::ipc_reply_wait(b, m, 100), ERR_BUFFER_TOO_SMALL, "a 100-byte message");
  tap::ok(m.bytes == 100 && m.handles == 0, "its size comes back (100 bytes, 0 handles)");
  expect(keel::read_message(b, got, sizeof(got), &n, nullptr, 0, nullptr, 0), ERR_BUFFER_TOO_SMALL,
         "and it is still queued");
  static char whole[KEEL_CHANNEL_MAX_BYTES];
  expect(keel::read_message(b, whole, sizeof(whole), &n, nullptr, 0, nullptr, 0), KEEL_OK,
         "channel_read takes it");
  keel_handle_t x, y;
  keel::channel_create(&x, &y);
  keel::channel_write(a, "abcd", 4, &x, 1);
  m = words(KEEL_IPC_NO_REPLY, 0);
  expect(keel::ipc_reply_wait(b, m, 100), ERR_BUFFER_TOO_SMALL, "a message with a handle");
  tap::ok(m.bytes == 4 && m.handles == 1, "its size comes back (4 bytes, 1 handle)");
  keel::handle_close(y);
  keel::handle_close(a);
  keel::handle_close(b);  // the queued message and the handle in it go too
  tap::at_baseline(base, "interplay with the general calls");
}

void round_trips(const keel::KstatSnapshot& base) {
  keel_handle_t a, b;
  keel::channel_create(&a, &b);
  keel::Thread server;
  expect(keel::thread_start(server, echo, reinterpret_cast<void*>(b)), KEEL_OK,
         "start an echo task");
  size_t bad = 0;
  for (uint64_t i = 0; i < 3000; i++) {
    uint64_t n = i % (KEEL_IPC_MAX_BYTES + 1);
    uint64_t fill = 0x0101010101010101ull * (1 + i % 250);
    keel::IpcMessage m = words(n, fill);
    if (keel::ipc_call(a, m, KEEL_TIMEOUT_INFINITE) != KEEL_OK || !is_masked(m, n, fill)) bad++;
  }
  tap::ok(bad == 0,
          "3,000 round trips with a task of this process, every length 0..32: "
          "%zu wrong (bytes past the length come back 0)",
          bad);
  // The general call against the same server.
  size_t bad_args = 0;
  for (int i = 0; i < 500; i++) {
    char out[24], in[32];
    memset(out, 'a' + i % 26, sizeof(out));
    keel_channel_call_args c{};
    c.wr_bytes = out;
    c.wr_num_bytes = sizeof(out);
    c.rd_bytes = in;
    c.rd_bytes_cap = sizeof(in);
    c.timeout_ms = keel::PATIENCE_MS;
    if (keel::channel_call(a, &c) != KEEL_OK || c.actual_bytes != sizeof(out) ||
        memcmp(in, out, sizeof(out)) != 0)
      bad_args++;
  }
  tap::ok(bad_args == 0, "500 channel_calls to the same register server: %zu wrong", bad_args);
  keel::handle_close(a);
  int64_t code = -1;
  keel::thread_join(server, &code);
  expect(code, 0, "the echo task ends when its peer closes");
  keel::handle_close(b);
  tap::at_baseline(base, "after the round trips");
}

void parked_endpoint_kept(const keel::KstatSnapshot& base) {
  keel_handle_t a, b;
  keel::channel_create(&a, &b);
  keel::Thread t;
  keel::thread_start(t, wait_once, reinterpret_cast<void*>(b));
  tap::ok(parks(t.handle), "a task in ipc_reply_wait reads as blocked");
  // Its own handle goes while it waits: the endpoint stays (the parked task
  // holds it), so it still sees the peer close.
  expect(keel::handle_close(b), KEEL_OK, "close the waiting task's handle under it");
  keel::IpcMessage m = words(3, 0x414243);
  expect(keel::channel_write(a, "xyz", 3), KEEL_OK, "the endpoint is still there to write to");
  int64_t code = -1;
  keel::thread_join(t, &code);
  expect(code, KEEL_OK, "the parked task takes the message");
  (void)m;
  keel::handle_close(a);
  tap::at_baseline(base, "an endpoint a parked task held, freed with it");
}

void timeouts_and_kills(const keel::KstatSnapshot& base) {
  keel_handle_t a, b;
  keel::channel_create(&a, &b);
  keel::IpcMessage m = words(8, 1);
  expect(keel::ipc_call(a, m, 20), ERR_TIMED_OUT, "ipc_call nobody answers times out");
  keel::handle_close(a);
  keel::handle_close(b);
  // A server process parked for ever, killed.
  keel_handle_t mine, theirs, child;
  keel::channel_create(&mine, &theirs);
  expect(keel::spawn("ipc-echo", nullptr, 0, &theirs, 1, &child), KEEL_OK,
         "spawn an echo server process");
  size_t bad = 0;
  for (uint64_t i = 0; i < 2000; i++) {
    keel::IpcMessage r = words(i % 33, 0x1122334455667788ull);
    if (keel::ipc_call(mine, r, keel::PATIENCE_MS) != KEEL_OK ||
        !is_masked(r, i % 33, 0x1122334455667788ull))
      bad++;
  }
  tap::ok(bad == 0, "2,000 round trips with a server process: %zu wrong", bad);
  expect(keel::process_kill(child), KEEL_OK, "kill the server while it is parked");
  int64_t code = 0;
  expect(keel::process_wait(child, &code, keel::PATIENCE_MS), KEEL_OK, "and it is reaped");
  m = words(8, 1);
  expect(keel::ipc_call(mine, m, keel::PATIENCE_MS), ERR_PEER_CLOSED,
         "a call to the dead server: ERR_PEER_CLOSED");
  keel::handle_close(mine);
  keel::handle_close(child);
  tap::at_baseline(base, "after a parked server was killed");
}

}  // namespace

int main(int, char**) {
  tap::plan(41);
  utest::scratch();
  utest::read_only();
  utest::self_pid();
  utest::grow_handle_table(64);
  keel::KstatSnapshot base;
  tap::baseline(base);
  checks(base);
  interplay(base);
  round_trips(base);
  parked_endpoint_kept(base);
  timeouts_and_kills(base);
  return tap::done();
}
