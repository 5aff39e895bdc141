// Running out of memory at any allocation loses nothing. For each operation
// below, the kernel is made to fail its 1st, 2nd, 3rd, ... frame or slab
// allocation from the start of the operation (the fault_inject syscall), the
// operation is run, injection is disarmed, and the sweep goes on until the
// operation completes without reaching the armed allocation: every failure
// point it has was tried once. At each point:
//   - the operation returns KEEL_OK or ERR_NO_MEMORY (nothing else, no panic),
//   - what it was given is where the ABI says (handles of a failed send are
//     still the caller's), and a completed operation did its job,
//   - after undoing it, every kstat counter is back at its baseline.
// Operations: spawn (with a handle), channel_write of a large payload with
// two handles, channel_call with a handle to a server, process_open, a
// procfs read and a procfs listing (procfs is a child here, so its own
// allocations and replies are swept too), and process teardown (kill and
// wait of a child holding channels and queued messages).
//
// Runs as init (startup handle 0: the process directory, every right).
#include <libk/format.h>
#include <libk/string.h>
#include <procfs/protocol.h>

#include "common.h"

namespace {
constexpr uint64_t MAX_POINTS = 2000;  // a sweep that never completes is a failure

keel_handle_t dir;
keel_handle_t procfs_service;  // client end of the procfs child's channel
keel_handle_t echo;            // client end of the echo server (this program, "serve")
uint64_t sleeper_pid;
char procfs_buf[procfs::DATA_MAX + 1];
uint8_t payload[3000];

// In workload mode (failalloc= fails allocations all through the run, in
// the preparations too) only the kernel's own checks judge: promises the
// sweep checks are not reported there.
bool workload_mode;
void complain(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void complain(const char* fmt, ...) {
  if (workload_mode) return;
  char line[160];
  va_list ap;
  va_start(ap, fmt);
  libk::vformat(line, sizeof(line), fmt, ap);
  va_end(ap);
  tap::diag("%s", line);
}

bool alive(keel_handle_t h) {
  keel_object_info info;
  return keel::object_info(h, &info) == KEEL_OK;
}

void close_all(keel_handle_t* hs, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (hs[i] != KEEL_HANDLE_INVALID) keel::handle_close(hs[i]);
}

// One operation: prepare() runs before injection is armed, run() while it is
// (its status), finish(status) after it is disarmed: it checks what the
// status promises (false: a broken promise, diagnosed) and undoes the work.
struct Operation {
  const char* name;
  void (*prepare)();
  int64_t (*run)();
  bool (*finish)(int64_t status);
};

// ---- spawn, handing the child a channel end ----
keel_handle_t spawn_mine, spawn_theirs, spawn_child;
void spawn_prepare() { keel::channel_create(&spawn_mine, &spawn_theirs); }
int64_t spawn_run() {
  const char* args[] = {"0"};
  return keel::spawn("exitcode", args, 1, &spawn_theirs, 1, &spawn_child);
}
bool spawn_finish(int64_t r) {
  bool good = true;
  if (r == KEEL_OK) {
    int64_t code = -1;
    good = keel::process_wait(spawn_child, &code, keel::PATIENCE_MS) == KEEL_OK && code == 0;
    if (!good) complain("spawn: the child did not exit 0 (%ld)", code);
    keel::handle_close(spawn_child);
    if (alive(spawn_theirs)) {
      complain("spawn: the handle given to the child is still ours");
      good = false;
    }
  } else {
    if (!alive(spawn_theirs)) {
      complain("spawn failed, but the handle it was given is gone");
      good = false;
    }
    keel::handle_close(spawn_theirs);
  }
  keel::handle_close(spawn_mine);
  return good;
}

// ---- channel_write: 3000 bytes and two channel ends ----
keel_handle_t wr_a, wr_b, wr_carried[2], wr_kept[2];
void write_prepare() {
  keel::channel_create(&wr_a, &wr_b);
  for (int i = 0; i < 2; i++) keel::channel_create(&wr_kept[i], &wr_carried[i]);
  for (size_t i = 0; i < sizeof(payload); i++) payload[i] = static_cast<uint8_t>(i * 7);
}
int64_t write_run() { return keel::channel_write(wr_a, payload, sizeof(payload), wr_carried, 2); }
bool write_finish(int64_t r) {
  bool good = true;
  if (r == KEEL_OK) {
    static uint8_t got[sizeof(payload)];
    keel_handle_t hs[2] = {KEEL_HANDLE_INVALID, KEEL_HANDLE_INVALID};
    size_t n = 0, nh = 0;
    good = keel::read_message(wr_b, got, sizeof(got), &n, hs, 2, &nh, 0) == KEEL_OK &&
           n == sizeof(payload) && nh == 2 && memcmp(got, payload, n) == 0;
    if (!good) complain("channel_write: the message read back differs");
    close_all(hs, 2);
  } else {
    for (keel_handle_t h : wr_carried)
      if (!alive(h)) {
        complain("channel_write failed, but a handle it carried is gone");
        good = false;
      }
    close_all(wr_carried, 2);
  }
  close_all(wr_kept, 2);
  keel::handle_close(wr_a);
  keel::handle_close(wr_b);
  return good;
}

// ---- channel_call to the echo server, carrying a handle ----
keel_handle_t call_kept, call_carried;
void call_prepare() { keel::channel_create(&call_kept, &call_carried); }
int64_t call_run() {
  static uint8_t reply[512];
  keel_handle_t back = KEEL_HANDLE_INVALID;
  keel_channel_call_args c{};
  c.wr_bytes = payload;
  c.wr_num_bytes = 300;
  c.wr_handles = &call_carried;
  c.wr_num_handles = 1;
  c.rd_bytes = reply;
  c.rd_bytes_cap = sizeof(reply);
  c.rd_handles = &back;
  c.rd_handles_cap = 1;
  c.timeout_ms = keel::PATIENCE_MS;
  int64_t r = keel::channel_call(echo, &c);
  if (r != KEEL_OK) return r;
  if (c.actual_bytes == 1 && reply[0] == 'E') return ERR_NO_MEMORY;  // the server ran out
  if (c.actual_bytes != 300 || memcmp(reply, payload, 300) != 0 || c.actual_handles != 1) {
    complain("channel_call: the echo differs (%zu bytes, %zu handles)", c.actual_bytes,
             c.actual_handles);
    return ERR_CORRUPT;
  }
  call_carried = back;  // the same channel end, home again
  return r;
}
bool call_finish(int64_t) {
  // Wherever the request failed, the carried end is ours again or gone with
  // the message; either way nothing may be left behind once both are closed.
  if (alive(call_carried)) keel::handle_close(call_carried);
  keel::handle_close(call_kept);
  return true;
}

// ---- process_open of a live process ----
keel_handle_t opened;
void open_prepare() {}
int64_t open_run() { return keel::process_open(dir, sleeper_pid, &opened); }
bool open_finish(int64_t r) {
  if (r != KEEL_OK) return true;
  keel_object_info info{};
  bool good = keel::object_info(opened, &info) == KEEL_OK && info.koid == sleeper_pid;
  if (!good) complain("process_open: the observer does not show the process");
  keel::handle_close(opened);
  return good;
}

// ---- procfs: read /proc/<pid>/status, list /proc ----
char status_path[48];
void procfs_prepare() {}
int64_t procfs_read_run() {
  size_t len = 0;
  int64_t r = procfs::request(procfs_service, procfs::OP_READ, status_path, procfs_buf,
                              sizeof(procfs_buf) - 1, &len);
  if (r == KEEL_OK && !libk::starts_with(procfs_buf, "Name: sleeper\n")) return ERR_CORRUPT;
  return r;
}
int64_t procfs_list_run() {
  size_t len = 0;
  int64_t r = procfs::request(procfs_service, procfs::OP_LIST, "/proc", procfs_buf,
                              sizeof(procfs_buf) - 1, &len);
  if (r != KEEL_OK) return r;
  char want[24];
  libk::format(want, sizeof(want), "%lu", sleeper_pid);
  libk::StringView rest(procfs_buf, len);
  while (!rest.empty())
    if (libk::next_token(rest, '\n') == libk::StringView(want)) return KEEL_OK;
  return ERR_CORRUPT;
}
bool nothing_to_undo(int64_t) { return true; }

// ---- teardown: kill and wait a child holding channels and messages ----
keel_handle_t doomed, doomed_ctl;
void teardown_prepare() {
  keel_handle_t theirs;
  keel::channel_create(&doomed_ctl, &theirs);
  doomed = utest::start("holder", "40", theirs);
  if (doomed == KEEL_HANDLE_INVALID) keel::handle_close(theirs);  // (only under failalloc=)
  char buf[8];
  size_t n;
  keel::read_message(doomed_ctl, buf, sizeof(buf), &n, nullptr, 0, nullptr, keel::PATIENCE_MS);
}
int64_t teardown_run() {
  int64_t r = keel::process_kill(doomed);
  if (r != KEEL_OK) return r;
  int64_t code = 0;
  return keel::process_wait(doomed, &code, keel::PATIENCE_MS);
}
bool teardown_finish(int64_t r) {
  bool good = r == KEEL_OK;  // teardown cannot fail: it must complete
  if (!good) complain("teardown: %s", keel_status_name(static_cast<int32_t>(r)));
  keel::handle_close(doomed);
  keel::handle_close(doomed_ctl);
  return good;
}

int64_t inject(uint64_t nth) {
  uint64_t injected = 0;
  keel::fault_inject(dir, nth, 0, &injected);
  return static_cast<int64_t>(injected);
}

// Before the counters are read: the echo server answers a call and wakes
// its caller before its own syscall has returned, and until it returns it
// keeps what that syscall holds (a reference to each handle it sent back,
// taken when it checked them). The caller runs first, so under a loaded
// host, counters read right after a call could include that reference, an
// endpoint whose handles are all closed (seen: channels_live one too many
// after some calls, so the baseline or a failure point drifted by one). One
// more round trip, with no handles, waits until the server has finished
// that syscall and read again.
bool settle_echo_server() {
  uint8_t ping = 'S', pong[8];
  keel_channel_call_args c{};
  c.wr_bytes = &ping;
  c.wr_num_bytes = 1;
  c.rd_bytes = pong;
  c.rd_bytes_cap = sizeof(pong);
  c.timeout_ms = keel::PATIENCE_MS;
  int64_t r = keel::channel_call(echo, &c);
  if (r == KEEL_OK && c.actual_bytes == 1 && pong[0] == 'S') return true;
  complain("the echo server did not answer a plain call: %s",
           keel_status_name(static_cast<int32_t>(r)));
  return false;
}

// Sweep one operation over every failure point; one TAP check.
uint64_t sweep(const Operation& op, bool may_fail) {
  keel::KstatSnapshot base;
  // Once unarmed first: caches and tables reach their steady state.
  op.prepare();
  op.finish(op.run());
  uint64_t points = 0, bad = settle_echo_server() ? 0 : 1;
  tap::baseline(base);
  for (uint64_t nth = 1; nth <= MAX_POINTS; nth++) {
    op.prepare();
    inject(nth);
    int64_t r = op.run();
    bool injected = inject(0) != 0;
    bool good = op.finish(r);
    if (!settle_echo_server()) good = false;
    if (r != KEEL_OK && (r != ERR_NO_MEMORY || !may_fail)) {
      tap::diag("%s, allocation %lu failing: %s", op.name, nth,
                keel_status_name(static_cast<int32_t>(r)));
      good = false;
    }
    if (r == ERR_NO_MEMORY && !injected) {
      tap::diag("%s: ERR_NO_MEMORY with nothing injected", op.name);
      good = false;
    }
    char what[64];
    libk::format(what, sizeof(what), "%s, allocation %lu failing", op.name, nth);
    if (tap::drift(base, what) != 0) good = false;
    if (!good) bad++;
    if (!injected) {
      points = nth - 1;
      tap::ok(bad == 0, "%s: %lu failure points, each returned %s, counters back every time",
              op.name, points, may_fail ? "ERR_NO_MEMORY or completed" : "after completing");
      return points;
    }
  }
  tap::ok(false, "%s: still failing after %lu points", op.name, MAX_POINTS);
  return MAX_POINTS;
}

// The echo server: bytes and handles go back to the caller; when it cannot
// send the echo (no memory), it says 'E' instead, and drops what it got.
int serve(keel_handle_t ch) {
  static uint8_t in[KEEL_CHANNEL_MAX_BYTES];
  keel_handle_t hs[KEEL_CHANNEL_MAX_HANDLES];
  for (;;) {
    size_t n = 0, nh = 0;
    int64_t r = keel::read_message(ch, in, sizeof(in), &n, hs, KEEL_CHANNEL_MAX_HANDLES, &nh);
    if (r == ERR_PEER_CLOSED) return 0;
    if (r < 0) continue;  // no memory to take the message: it waits, try again
    if (keel::channel_write(ch, in, n, hs, nh) < 0) {
      close_all(hs, nh);
      // Under failalloc= the 'E' can fail too: the next try is not the Mth.
      for (int i = 0; i < 8 && keel::channel_write(ch, "E", 1) == ERR_NO_MEMORY; i++) {
      }
    }
  }
}

keel_handle_t start_procfs() {
  keel_handle_t server, procfs_dir;
  keel::channel_create(&procfs_service, &server);
  keel::handle_duplicate(dir, KEEL_RIGHT_ENUMERATE | KEEL_RIGHT_INSPECT | KEEL_RIGHT_TRANSFER,
                         &procfs_dir);
  keel_handle_t hs[] = {server, procfs_dir};
  keel_handle_t p = KEEL_HANDLE_INVALID;
  if (keel::spawn("procfs", nullptr, 0, hs, 2, &p) != KEEL_OK) {
    complain("cannot start procfs");
    close_all(hs, 2);
    keel::handle_close(procfs_service);
  }
  return p;
}

// Start what every operation needs; under failalloc= a start may fail, so
// each is retried (a few times: the failures are every Mth allocation).
template <typename F>
keel_handle_t retried(F&& start) {
  for (int i = 0; i < 20; i++)
    if (keel_handle_t h = start(); h != KEEL_HANDLE_INVALID) return h;
  return KEEL_HANDLE_INVALID;
}

const Operation ops[] = {
    {"spawn", spawn_prepare, spawn_run, spawn_finish},
    {"channel_write with handles", write_prepare, write_run, write_finish},
    {"channel_call with a handle", call_prepare, call_run, call_finish},
    {"process_open", open_prepare, open_run, open_finish},
    {"procfs read", procfs_prepare, procfs_read_run, nothing_to_undo},
    {"procfs list", procfs_prepare, procfs_list_run, nothing_to_undo},
    {"process teardown", teardown_prepare, teardown_run, teardown_finish},
};
constexpr size_t OPS = sizeof(ops) / sizeof(ops[0]);

// failalloc=N,every=M is failing allocations all along: run every operation
// ROUNDS times and count what they returned. The verdict is the kernel's:
// no panic, and its post-init check and audit find nothing left over.
int workload() {
  constexpr int ROUNDS = 25;
  uint64_t ok = 0, no_memory = 0, other = 0;
  for (int round = 0; round < ROUNDS; round++) {
    for (const Operation& op : ops) {
      op.prepare();
      int64_t r = op.run();
      op.finish(r);
      (r == KEEL_OK ? ok : r == ERR_NO_MEMORY ? no_memory : other)++;
    }
  }
  keel::printf("fault workload: %lu operations: %lu completed, %lu ERR_NO_MEMORY, %lu other\n",
               ok + no_memory + other, ok, no_memory, other);
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && libk::str_eq(argv[1], "serve")) return serve(keel::startup_handle(0));
  workload_mode = argc > 1 && libk::str_eq(argv[1], "workload");
  dir = utest::dir();
  if (!workload_mode) tap::plan(10);
  utest::grow_handle_table(64);
  keel::KstatSnapshot start;
  if (!workload_mode) tap::baseline(start);

  // The cast every operation shares: procfs, an echo server, a sleeper.
  keel_handle_t procfs_proc = retried(start_procfs);
  keel_handle_t echo_proc = retried([] {
    keel_handle_t theirs;
    if (keel::channel_create(&echo, &theirs) != KEEL_OK) return KEEL_HANDLE_INVALID;
    keel_handle_t p = utest::start("utest-fault", "serve", theirs);
    if (p == KEEL_HANDLE_INVALID) {
      keel::handle_close(echo);
      keel::handle_close(theirs);
    }
    return p;
  });
  keel_handle_t sleeper = retried([] { return utest::start("sleeper", "100000000"); });
  keel_object_info info{};
  keel::object_info(sleeper, &info);
  sleeper_pid = info.koid;
  libk::format(status_path, sizeof(status_path), "/proc/%lu/status", sleeper_pid);

  if (workload_mode) {
    int code = workload();
    keel::handle_close(echo);
    keel::handle_close(procfs_service);
    for (keel_handle_t p : {echo_proc, procfs_proc, sleeper}) {
      keel::process_kill(p);
      int64_t ignored;
      keel::process_wait(p, &ignored, keel::PATIENCE_MS);
      keel::handle_close(p);
    }
    return code;
  }

  uint64_t total = 0;
  for (size_t i = 0; i < OPS; i++) total += sweep(ops[i], i != OPS - 1);  // teardown must complete
  tap::diag("%lu failure points swept", total);

  // Injection is off again, and the system still works.
  tap::ok(procfs_read_run() == KEEL_OK, "procfs still answers after the sweeps");
  keel::handle_close(echo);
  tap::ok(utest::reap(echo_proc, false) == 0, "the echo server saw every request through");
  keel::handle_close(procfs_service);
  utest::reap(procfs_proc, false);
  utest::reap(sleeper);
  for (keel_handle_t p : {echo_proc, procfs_proc, sleeper}) keel::handle_close(p);
  tap::at_baseline(start, "after every sweep");
  return tap::done();
}
