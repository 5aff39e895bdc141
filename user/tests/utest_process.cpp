// Processes: spawn (valid, malformed programs, bad arguments and pointers,
// handles moved on success and kept on failure), wait (exit codes, timeouts,
// the handle consumed), kill (busy, sleeping, exited), a fault, processes
// dying with a thousand handles, and the process directory: list, open,
// observer handles (INSPECT only, never keeping a process alive, revoked
// when it exits).
#include "common.h"

using keel::syscall6;
using keel::u;
using utest::expect;

namespace {

constexpr uint32_t PROCESS_RIGHTS = KEEL_RIGHT_KILL | KEEL_RIGHT_WAIT | KEEL_RIGHT_INSPECT |
                                    KEEL_RIGHT_DUPLICATE | KEEL_RIGHT_TRANSFER | KEEL_RIGHT_START;

struct Pair {
  keel_handle_t a = KEEL_HANDLE_INVALID, b = KEEL_HANDLE_INVALID;
};

Pair make_pair() {
  Pair p;
  keel::channel_create(&p.a, &p.b);
  return p;
}

bool alive(keel_handle_t h) {
  keel_object_info info;
  return keel::object_info(h, &info) == KEEL_OK;
}

// A spawn argument block for `name` with no arguments and the given handles.
struct Spawn {
  keel_spawn_args args{};
  char block[64];
  Spawn(const char* name, const keel_handle_t* hs = nullptr, size_t nh = 0) {
    size_t n = strlen(name);
    memcpy(block, name, n + 1);
    args.name = block;
    args.name_len = n;
    args.args = block;
    args.args_len = n + 1;
    args.argc = 1;
    args.handles = hs;
    args.num_handles = nh;
  }
};

// Wait until only `n` processes are alive (giving up after PATIENCE_MS):
// orphans we hold no handle to end in their own time.
void await_processes(int64_t n) {
  for (uint64_t t0 = keel::clock_ms();
       utest::counter("processes_live") != n && keel::clock_ms() - t0 < keel::PATIENCE_MS;)
    keel::sleep_ms(5);
}

bool listed(uint64_t pid) {
  static uint64_t pids[256];
  size_t n = 0;
  if (keel::process_list(utest::dir(), pids, 256, &n) != KEEL_OK) return false;
  for (size_t i = 0; i < n; i++)
    if (pids[i] == pid) return true;
  return false;
}

// --- scenarios ---

void spawn_and_wait(const keel::KstatSnapshot& base) {
  keel_handle_t p = utest::start("exitcode", "42");
  keel_object_info info = utest::info_of(p);
  tap::ok(info.type == KEEL_OBJ_PROCESS && info.rights == PROCESS_RIGHTS,
          "spawn gives a process handle with kill/wait/inspect/duplicate/transfer");
  tap::ok(info.related_koid == utest::self_pid() && libk::str_eq(info.name, "exitcode"),
          "the child is named after its program and its parent is us");
  int64_t code = 0;
  expect(keel::process_wait(p, &code, KEEL_TIMEOUT_INFINITE), KEEL_OK, "wait for exitcode 42");
  tap::ok(code == 42, "the exit code comes back (%ld)", code);
  expect(keel::object_info(p, &info), ERR_BAD_HANDLE, "the wait consumed the process handle");
  expect(keel::process_wait(p, &code, 0), ERR_BAD_HANDLE, "so a second wait has no handle");

  p = utest::start("exitcode", "-7");
  tap::ok(utest::reap(p, false) == -7, "a negative exit code comes back too");

  // A child that exits before anyone waits: its exit record holds the code.
  p = utest::start("exitcode", "3");
  tap::ok(utest::await_exit(p), "the child exits on its own");
  info = utest::info_of(p);
  tap::ok(info.state == KEEL_STATE_EXITED && info.exit_code == 3 && info.tasks == 0 &&
              info.pages == 0 && info.handles == 0,
          "an exited child keeps only its record: code %ld, %lu tasks, %lu pages, %lu handles",
          info.exit_code, info.tasks, info.pages, info.handles);
  expect(keel::process_kill(p), KEEL_OK, "killing an exited process changes nothing");
  tap::ok(utest::reap(p, false) == 3, "and its first exit code stands");

  bool all = true;
  for (int i = 0; i < 20; i++) all &= utest::reap(utest::start("exitcode"), false) == 0;
  tap::ok(all, "20 children spawned and reaped in turn");
  tap::at_baseline(base, "spawn and wait");
}

void spawn_more(const keel::KstatSnapshot& base) {
  int64_t processes = utest::counter("processes_live");
  tap::ok(utest::reap(utest::start("ipc-echo", "50"), false) == 0,
          "a child that spawns its own child, talks to it and reaps it");

  // Two handles to one child: each wait consumes its own.
  keel_handle_t p = utest::start("exitcode", "9"), q = KEEL_HANDLE_INVALID;
  keel::handle_duplicate(p, KEEL_RIGHTS_SAME, &q);
  int64_t c1 = 0, c2 = 0;
  expect(keel::process_wait(p, &c1, KEEL_TIMEOUT_INFINITE), KEEL_OK, "wait through one handle");
  tap::ok(alive(q) && utest::info_of(q).exit_code == 9, "the other still shows the exit record");
  expect(keel::process_wait(q, &c2, KEEL_TIMEOUT_INFINITE), KEEL_OK, "wait through the other");
  tap::ok(c1 == 9 && c2 == 9, "both get the exit code");

  // Killed while blocked in process_wait: its own child runs on, then ends.
  const char* args[] = {"wait", "200"};
  keel_handle_t w = KEEL_HANDLE_INVALID;
  keel::spawn("spawner", args, 2, nullptr, 0, &w);
  keel::sleep_ms(30);
  tap::ok(utest::reap(w) == KEEL_EXIT_KILLED, "a parent killed while it waits for its child");
  await_processes(processes);
  tap::at_baseline(base, "its orphan ended on its own; nothing is left");

  // A parent that exits without waiting: the exit record of its child goes
  // with the parent's handles, the orphan runs on and ends.
  const char* orphan[] = {"orphan", "100"};
  keel::spawn("spawner", orphan, 2, nullptr, 0, &w);
  tap::ok(utest::reap(w, false) == 0, "a parent exits without waiting for its children");
  await_processes(processes);
  tap::at_baseline(base, "nested spawns, orphans and exit records");
}

void wait_timeouts(const keel::KstatSnapshot& base) {
  keel_handle_t p = utest::start("sleeper", "1000000");  // outlives any wait below
  int64_t code = 99;
  expect(keel::process_wait(p, &code, 0), ERR_SHOULD_WAIT,
         "wait with timeout 0 on a running process");
  uint64_t t0 = keel::clock_ms();
  expect(keel::process_wait(p, &code, 30), ERR_TIMED_OUT, "wait 30 ms on a running process");
  tap::ok(keel::clock_ms() - t0 >= 30 && alive(p), "it waited 30 ms and kept the handle");
  utest::each_bad_pointer("process_wait code into", true, [&](uintptr_t q) {
    return syscall6(SYS_PROCESS_WAIT, p, q, KEEL_TIMEOUT_INFINITE);
  });
  expect(keel::process_wait(p, utest::ptr<int64_t>(u(utest::read_only())), KEEL_TIMEOUT_INFINITE),
         ERR_INVALID_ARGS, "process_wait code into read-only memory");
  tap::ok(alive(p), "a bad code pointer does not consume the handle");
  expect(keel::process_kill(p), KEEL_OK, "end it");
  expect(keel::process_wait(p, &code, KEEL_TIMEOUT_INFINITE), KEEL_OK, "wait until it is done");
  tap::ok(code == KEEL_EXIT_KILLED, "the sleeper ends with the kill status");

  // Timeouts too long to count in ticks are long, not short.
  p = utest::start("sleeper", "100");
  expect(keel::process_wait(p, &code, UINT64_MAX - 1), KEEL_OK, "wait with a timeout of 2^64-2 ms");
  tap::ok(code == 0, "it lasted until the sleeper was done");
  p = utest::start("sleeper", "18446744073709551614");
  keel::sleep_ms(50);
  expect(keel::process_wait(p, &code, 0), ERR_SHOULD_WAIT, "a sleep of 2^64-2 ms is still going");
  tap::ok(utest::reap(p) == KEEL_EXIT_KILLED, "until it is killed");

  // The same once it has exited: the record is not lost to a bad pointer.
  p = utest::start("exitcode", "5");
  utest::await_exit(p);
  expect(keel::process_wait(p, utest::ptr<int64_t>(u(utest::read_only())), 0), ERR_INVALID_ARGS,
         "process_wait of an exited child into read-only memory");
  tap::ok(utest::reap(p, false) == 5, "the exit code is still there for a good wait");
  tap::at_baseline(base, "wait timeouts and bad pointers");
}

void kill(const keel::KstatSnapshot& base) {
  keel_handle_t spin = utest::start("spin");
  keel::sleep_ms(20);  // let it run a few slices
  int64_t code = 0;
  expect(keel::process_wait(spin, &code, 0), ERR_SHOULD_WAIT, "spin runs until killed");
  expect(keel::process_kill(spin), KEEL_OK, "kill spin");
  expect(keel::process_kill(spin), KEEL_OK, "kill it again");
  tap::ok(utest::reap(spin, false) == KEEL_EXIT_KILLED, "spin's exit code is the kill status");

  keel_handle_t sleeper = utest::start("sleeper", "100000");
  keel::sleep_ms(10);
  expect(keel::process_kill(sleeper), KEEL_OK, "kill a sleeping process");
  // Its sleep (100 s) is far longer than the wait: only the kill can end it.
  int64_t killed_code = 0;
  tap::ok(keel::process_wait(sleeper, &killed_code, 30000) == KEEL_OK &&
              killed_code == KEEL_EXIT_KILLED,
          "it dies with the kill status, long before its sleep would end");

  keel_handle_t faulter = utest::start("faulter");
  tap::ok(utest::reap(faulter, false) == KEEL_EXIT_FAULT,
          "a process that faults is killed with %ld", KEEL_EXIT_FAULT);
  tap::at_baseline(base, "kill and fault");
}

// A process holding a thousand handles (channels, some with messages carrying
// handles) is killed, or exits on its own: everything goes with it.
void holder(const keel::KstatSnapshot& base, bool kill_it) {
  const char* how = kill_it ? "killed" : "exiting";
  Pair ctl = make_pair();
  keel_handle_t p = utest::start("holder", "1000", ctl.b);
  char buf[8];
  size_t n = 0;
  int64_t r =
      keel::read_message(ctl.a, buf, sizeof(buf), &n, nullptr, 0, nullptr, keel::PATIENCE_MS);
  tap::ok(r == KEEL_OK && n == 5, "holder (%s) is ready", how);
  keel_object_info info = utest::info_of(p);
  tap::ok(info.handles >= 1000, "it holds %lu handles", info.handles);
  if (kill_it)
    keel::process_kill(p);
  else
    keel::handle_close(ctl.a);  // its read ends, it returns 0
  tap::ok(utest::await_exit(p) && utest::info_of(p).handles == 0,
          "at exit every handle of it is closed");
  int64_t heap_at_exit = utest::counter("heap_bytes_used");
  tap::ok(utest::reap(p, false) == (kill_it ? KEEL_EXIT_KILLED : 0), "holder exit code");
  int64_t record = heap_at_exit - utest::counter("heap_bytes_used");
  tap::ok(record < 2048, "the exit record that the wait freed was small (%ld bytes)", record);
  if (kill_it) keel::handle_close(ctl.a);
  tap::at_baseline(base, kill_it ? "holder 1000 killed" : "holder 1000 exited");
}

void spawn_failures(const keel::KstatSnapshot& base) {
  Pair x = make_pair();
  keel::KstatSnapshot before;
  tap::baseline(before);
  keel_handle_t p = KEEL_HANDLE_INVALID;
  auto spawn = [&](const char* name) { return keel::spawn(name, nullptr, 0, &x.a, 1, &p); };
  expect(spawn("no-such-program"), ERR_NOT_FOUND, "spawn a program that is not there");
  expect(spawn("bad-notelf"), ERR_CORRUPT, "spawn a file that is not an ELF");
  expect(spawn("bad-truncated"), ERR_CORRUPT, "spawn a truncated ELF");
  expect(spawn("a-name-longer-than-keel-name-max-allows"), ERR_INVALID_ARGS,
         "spawn a name too long");

  Spawn s("exitcode", &x.a, 1);
  auto with = [&](auto change) {
    Spawn t = s;
    t.args.name = t.block;
    t.args.args = t.block;
    change(t.args);
    return keel::process_spawn(&t.args, &p);
  };
  expect(with([](keel_spawn_args& a) {
           a.name = "exit\0code";
           a.name_len = 9;
         }),
         ERR_INVALID_ARGS, "a name with a NUL inside");
  expect(with([](keel_spawn_args& a) { a.argc = 2; }), ERR_INVALID_ARGS,
         "argc larger than the strings");
  expect(with([](keel_spawn_args& a) { a.args_len -= 1; }), ERR_INVALID_ARGS,
         "arguments not NUL-terminated");
  expect(with([](keel_spawn_args& a) { a.args_len = KEEL_SPAWN_MAX_ARGS_BYTES + 1; }),
         ERR_OUT_OF_RANGE, "arguments over the size limit");
  expect(with([](keel_spawn_args& a) { a.argc = KEEL_SPAWN_MAX_ARGS + 1; }), ERR_OUT_OF_RANGE,
         "more arguments than allowed");
  expect(with([](keel_spawn_args& a) { a.num_handles = KEEL_SPAWN_MAX_HANDLES + 1; }),
         ERR_OUT_OF_RANGE, "more handles than allowed");
  keel_handle_t twice[2] = {x.a, x.a};
  expect(with([&](keel_spawn_args& a) {
           a.handles = twice;
           a.num_handles = 2;
         }),
         ERR_INVALID_ARGS, "the same handle twice");

  utest::each_bad_pointer("spawn args at", true,
                          [&](uintptr_t q) { return syscall6(SYS_PROCESS_SPAWN, q, u(&p)); });
  utest::each_bad_pointer("spawn name from", false, [&](uintptr_t q) {
    return with([&](keel_spawn_args& a) { a.name = utest::ptr<char>(q); });
  });
  utest::each_bad_pointer("spawn argument strings from", false, [&](uintptr_t q) {
    return with([&](keel_spawn_args& a) { a.args = utest::ptr<char>(q); });
  });
  utest::each_bad_pointer("spawn handles from", true, [&](uintptr_t q) {
    return with([&](keel_spawn_args& a) { a.handles = utest::ptr<keel_handle_t>(q); });
  });
  utest::each_bad_pointer("spawn process handle into", true,
                          [&](uintptr_t q) { return syscall6(SYS_PROCESS_SPAWN, u(&s.args), q); });
  expect(keel::process_spawn(&s.args, utest::ptr<keel_handle_t>(u(utest::read_only()))),
         ERR_INVALID_ARGS, "spawn process handle into read-only memory");
  tap::ok(alive(x.a), "after every failed spawn the caller still has its handle");
  tap::at_baseline(before, "failed spawns made nothing");
  keel::handle_close(x.a);
  keel::handle_close(x.b);
  tap::at_baseline(base, "spawn failures");
}

void spawn_moves_handles(const keel::KstatSnapshot& base) {
  Pair x = make_pair();
  uint64_t koid = utest::info_of(x.b).koid;
  keel_handle_t server = utest::start("ipc-echo", nullptr, x.b);
  expect(keel::object_info(x.b, utest::ptr<keel_object_info>(u(utest::scratch()))), ERR_BAD_HANDLE,
         "the handle passed to the child is gone from the parent");
  tap::ok(utest::info_of(x.a).related_koid == koid, "its endpoint lives on in the child");
  keel::channel_write(x.a, "ping", 4);
  char buf[8];
  size_t n = 0;
  int64_t r = keel::read_message(x.a, buf, sizeof(buf), &n, nullptr, 0, nullptr, keel::PATIENCE_MS);
  tap::ok(r == KEEL_OK && n == 4 && memcmp(buf, "ping", 4) == 0, "and the child uses it");
  keel::handle_close(x.a);
  tap::ok(utest::reap(server, false) == 0, "the child exits when the parent closes its end");

  keel_handle_t hs[KEEL_SPAWN_MAX_HANDLES];
  for (size_t i = 0; i < KEEL_SPAWN_MAX_HANDLES; i += 2) keel::channel_create(&hs[i], &hs[i + 1]);
  keel_handle_t p = KEEL_HANDLE_INVALID;
  expect(keel::spawn("exitcode", nullptr, 0, hs, KEEL_SPAWN_MAX_HANDLES, &p), KEEL_OK,
         "spawn with the most handles allowed");
  bool moved = true;
  for (keel_handle_t h : hs) moved &= !alive(h);
  tap::ok(moved, "all 16 moved to the child");
  tap::ok(utest::reap(p, false) == 0, "which exits and frees them");
  tap::at_baseline(base, "spawn moves handles");
}

void list_and_open(const keel::KstatSnapshot& base) {
  keel_handle_t child = utest::start("sleeper", "100000");
  uint64_t pid = utest::info_of(child).koid;
  static uint64_t pids[256];
  size_t total = 0;
  expect(keel::process_list(utest::dir(), pids, 256, &total), KEEL_OK, "process_list");
  tap::ok(total >= 2 && listed(pid) && listed(utest::self_pid()),
          "it lists us and the child (%zu in all)", total);
  size_t n = 0;
  pids[0] = 0;
  expect(keel::process_list(utest::dir(), pids, 1, &n), ERR_BUFFER_TOO_SMALL,
         "process_list into room for one");
  tap::ok(n == total && pids[0] != 0, "it fills the room and reports the total");
  expect(keel::process_list(utest::dir(), nullptr, 0, &n), ERR_BUFFER_TOO_SMALL,
         "process_list to count only");
  expect(keel::process_list(utest::dir(), pids, 4097, &n), ERR_INVALID_ARGS,
         "process_list with a huge capacity");
  utest::each_bad_pointer("process_list pids into", true, [&](uintptr_t q) {
    return syscall6(SYS_PROCESS_LIST, utest::dir(), q, 8, u(&n));
  });
  utest::each_bad_pointer("process_list count into", true, [&](uintptr_t q) {
    return syscall6(SYS_PROCESS_LIST, utest::dir(), u(pids), 8, q);
  });

  keel_handle_t obs = KEEL_HANDLE_INVALID;
  expect(keel::process_open(utest::dir(), pid, &obs), KEEL_OK, "process_open the child");
  keel_object_info info = utest::info_of(obs);
  tap::ok(info.rights == KEEL_RIGHT_INSPECT, "an observer handle has INSPECT only");
  tap::ok(info.type == KEEL_OBJ_PROCESS && info.koid == pid &&
              info.related_koid == utest::self_pid() && libk::str_eq(info.name, "sleeper") &&
              info.state == KEEL_STATE_RUNNING,
          "object_info through it: type, pid, parent, name, state");
  tap::ok(info.tasks == 1 && info.pages > 0 && info.handles == 0,
          "and its tasks (%lu), pages (%lu), handles (%lu)", info.tasks, info.pages, info.handles);
  int64_t code;
  keel_handle_t out;
  expect(keel::process_kill(obs), ERR_ACCESS_DENIED, "an observer cannot kill");
  expect(keel::process_wait(obs, &code, 0), ERR_ACCESS_DENIED, "an observer cannot wait");
  expect(keel::handle_duplicate(obs, KEEL_RIGHTS_SAME, &out), ERR_ACCESS_DENIED,
         "an observer cannot be duplicated");
  Pair x = make_pair();
  expect(keel::channel_write(x.a, "o", 1, &obs, 1), ERR_ACCESS_DENIED,
         "an observer cannot be sent");
  keel::handle_close(x.a);
  keel::handle_close(x.b);

  expect(keel::process_open(utest::dir(), 0, &out), ERR_NOT_FOUND, "process_open pid 0");
  expect(keel::process_open(utest::dir(), ~0ull, &out), ERR_NOT_FOUND,
         "process_open a pid that never was");
  int64_t handles = utest::counter("handles_live");
  utest::each_bad_pointer("process_open observer into", true, [&](uintptr_t q) {
    return syscall6(SYS_PROCESS_OPEN, utest::dir(), pid, q);
  });
  expect(keel::process_open(utest::dir(), pid, utest::ptr<keel_handle_t>(u(utest::read_only()))),
         ERR_INVALID_ARGS, "process_open observer into read-only memory");
  tap::ok(utest::counter("handles_live") == handles, "bad out pointers opened nothing");

  keel_handle_t self;
  keel::process_open(utest::dir(), utest::self_pid(), &self);
  info = utest::info_of(self);
  tap::ok(libk::str_eq(info.name, "utest-process") && info.state == KEEL_STATE_RUNNING &&
              info.tasks == 1,
          "an observer of ourselves: name, state, one task");
  keel::handle_close(self);

  // The observer does not keep the child alive, and is revoked when it goes.
  int64_t processes = utest::counter("processes_live");
  tap::ok(utest::reap(child) == KEEL_EXIT_KILLED, "kill and reap the observed child");
  tap::ok(utest::counter("processes_live") == processes - 1, "the observer kept nothing alive");
  expect(keel::object_info(obs, &info), ERR_REVOKED, "object_info through the observer");
  expect(keel::process_kill(obs), ERR_REVOKED, "process_kill through the observer");
  expect(keel::handle_close(obs), KEEL_OK, "closing a revoked observer works");
  expect(keel::process_open(utest::dir(), pid, &out), ERR_NOT_FOUND, "process_open the reaped pid");
  tap::ok(!listed(pid), "the reaped pid is no longer listed");
  tap::at_baseline(base, "process_list and process_open");
}

// More processes than fit one kernel page of pids.
void list_many(const keel::KstatSnapshot& base) {
  constexpr size_t N = 300;
  static keel_handle_t kids[N];
  size_t started = 0;
  while (started < N && (kids[started] = utest::start("sleeper", "100000")) != KEEL_HANDLE_INVALID)
    started++;
  tap::ok(started == N, "%zu processes running", started);
  static uint64_t pids[1024];
  size_t total = 0;
  int64_t r = keel::process_list(utest::dir(), pids, 1024, &total);
  tap::ok(r == KEEL_OK && total == N + 1, "process_list with room for all lists all %zu (%s)",
          total, keel_status_name(int32_t(r)));
  bool all = r == KEEL_OK;
  for (size_t i = 0; i < started && all; i++) {
    uint64_t pid = utest::info_of(kids[i]).koid;
    bool found = false;
    for (size_t k = 0; k < total && k < 1024; k++) found |= pids[k] == pid;
    all &= found;
  }
  tap::ok(all, "every child is in the list");
  for (size_t i = 0; i < started; i++) utest::reap(kids[i]);
  tap::at_baseline(base, "many processes");
}

// An observer of a child that exits on its own: revoked at the exit itself,
// before the parent waits.
void observer_of_exited(const keel::KstatSnapshot& base) {
  Pair ctl = make_pair();
  keel_handle_t p = utest::start("holder", "10", ctl.b);
  char buf[8];
  size_t n;
  keel::read_message(ctl.a, buf, sizeof(buf), &n, nullptr, 0, nullptr, keel::PATIENCE_MS);
  keel_handle_t obs = KEEL_HANDLE_INVALID;
  expect(keel::process_open(utest::dir(), utest::info_of(p).koid, &obs), KEEL_OK,
         "observe a holder");
  tap::ok(utest::info_of(obs).handles > 10, "it holds its handles");
  keel::handle_close(ctl.a);
  utest::await_exit(p);
  keel_object_info info;
  expect(keel::object_info(obs, &info), ERR_REVOKED, "once it exits the observer is revoked");
  keel_handle_t out;
  expect(keel::process_open(utest::dir(), utest::info_of(p).koid, &out), ERR_NOT_FOUND,
         "an exited process cannot be opened");
  tap::ok(utest::reap(p, false) == 0, "its parent still reaps the exit code");
  keel::handle_close(obs);
  tap::at_baseline(base, "observer of an exited process");
}

// A suspended spawn: the process is there (listed, open to observers and
// kills) but runs nothing until process_start, which only a handle with
// START (the spawner's) may make, once. Killed, or its last handle closed,
// before that, it exits without running; a job with one can still be killed.
void suspended(const keel::KstatSnapshot& base) {
  const char* seven[] = {"7"};
  keel_handle_t p;
  expect(
      keel::spawn("exitcode", seven, 1, nullptr, 0, &p, KEEL_HANDLE_INVALID, KEEL_SPAWN_SUSPENDED),
      KEEL_OK, "spawn suspended");
  keel_object_info info{};
  expect(keel::object_info(p, &info), KEEL_OK, "its handle");
  tap::ok(info.rights == PROCESS_RIGHTS, "the spawner's handle has START (rights %#x)",
          info.rights);
  tap::ok(listed(info.koid), "a suspended process is listed");
  tap::ok(info.state == KEEL_STATE_RUNNING && info.activity == KEEL_ACTIVITY_NONE,
          "as a live process with no task started (activity %u)", info.activity);
  int64_t code = -1;
  expect(keel::process_wait(p, &code, 50), ERR_TIMED_OUT, "it runs nothing: a wait times out");
  keel_handle_t weak;
  expect(keel::handle_duplicate(p, PROCESS_RIGHTS & ~KEEL_RIGHT_START, &weak), KEEL_OK,
         "a copy without START");
  expect(keel::process_start(weak), ERR_ACCESS_DENIED, "process_start through it");
  keel::handle_close(weak);  // not the last handle: it stays suspended
  expect(keel::process_start(p), KEEL_OK, "process_start");
  expect(keel::process_start(p), ERR_BAD_STATE, "a second process_start");
  expect(keel::process_wait(p, &code, keel::PATIENCE_MS), KEEL_OK, "it runs and exits");
  tap::ok(code == 7, "with its own exit code (%ld)", static_cast<long>(code));

  expect(keel::spawn("spin", nullptr, 0, nullptr, 0, &p, KEEL_HANDLE_INVALID, KEEL_SPAWN_SUSPENDED),
         KEEL_OK, "spawn spin suspended");
  expect(keel::process_kill(p), KEEL_OK, "kill it before it starts");
  expect(keel::process_start(p), ERR_BAD_STATE, "process_start after the kill");
  expect(keel::process_wait(p, &code, keel::PATIENCE_MS), KEEL_OK, "it exits");
  tap::ok(code == KEEL_EXIT_KILLED, "killed (%ld)", static_cast<long>(code));

  int64_t before = utest::counter("processes_live");
  expect(keel::spawn("spin", nullptr, 0, nullptr, 0, &p, KEEL_HANDLE_INVALID, KEEL_SPAWN_SUSPENDED),
         KEEL_OK, "spawn spin suspended again");
  keel::handle_close(p);
  await_processes(before);
  tap::ok(utest::counter("processes_live") == before,
          "its last handle closed before it started: it is killed and gone");

  keel_handle_t job;
  keel_job_limits none{};
  expect(keel::job_create(KEEL_HANDLE_INVALID, &none, &job), KEEL_OK, "a job");
  expect(keel::spawn("spin", nullptr, 0, nullptr, 0, &p, job, KEEL_SPAWN_SUSPENDED), KEEL_OK,
         "spawn spin suspended into it");
  expect(keel::job_kill(job), KEEL_OK, "job_kill returns with it in the job");
  expect(keel::process_wait(p, &code, keel::PATIENCE_MS), KEEL_OK, "it has exited");
  keel::handle_close(job);

  // START stays with the spawner: a copy has none, and the handle does not
  // move while the process is suspended; once it runs, it moves without it.
  expect(keel::spawn("spin", nullptr, 0, nullptr, 0, &p, KEEL_HANDLE_INVALID, KEEL_SPAWN_SUSPENDED),
         KEEL_OK, "spawn spin suspended to pass on");
  keel_handle_t copy;
  expect(keel::handle_duplicate(p, KEEL_RIGHTS_SAME, &copy), KEEL_OK, "copy its handle");
  keel::object_info(copy, &info);
  tap::ok(info.rights == (PROCESS_RIGHTS & ~KEEL_RIGHT_START), "the copy has no START (%#x)",
          info.rights);
  Pair pipe = make_pair();
  expect(keel::channel_write(pipe.a, "p", 1, &p, 1), ERR_ACCESS_DENIED,
         "the START handle of a suspended process does not move");
  expect(keel::process_start(p), KEEL_OK, "start it");
  expect(keel::channel_write(pipe.a, "p", 1, &p, 1), KEEL_OK, "then it moves");
  keel_handle_t moved = KEEL_HANDLE_INVALID;
  size_t got = 0, hgot = 0;
  char byte;
  keel::read_message(pipe.b, &byte, 1, &got, &moved, 1, &hgot);
  keel::object_info(moved, &info);
  tap::ok(hgot == 1 && info.rights == (PROCESS_RIGHTS & ~KEEL_RIGHT_START),
          "and arrives without START (%#x)", info.rights);
  keel::process_kill(moved);
  expect(keel::process_wait(moved, &code, keel::PATIENCE_MS), KEEL_OK, "kill and reap it");
  keel::process_wait(copy, &code, 0);  // the exit record: consumes the copy
  keel::handle_close(pipe.a);
  keel::handle_close(pipe.b);

  // No handle kept elsewhere keeps it suspended once the spawner's goes:
  // not a copy in a queue of the child's own channel (a cycle), nor one
  // job_open made.
  before = utest::counter("processes_live");
  Pair loop = make_pair();
  expect(keel::spawn("spin", nullptr, 0, &loop.a, 1, &p, KEEL_HANDLE_INVALID, KEEL_SPAWN_SUSPENDED),
         KEEL_OK, "spawn spin suspended holding one end of a channel");
  expect(keel::handle_duplicate(p, KEEL_RIGHTS_SAME, &copy), KEEL_OK, "copy its handle");
  expect(keel::channel_write(loop.b, "c", 1, &copy, 1), KEEL_OK,
         "send the copy to the end the child holds");
  keel::handle_close(loop.b);
  keel::handle_close(p);
  await_processes(before);
  tap::ok(utest::counter("processes_live") == before,
          "the spawner's handle closed: killed and gone, its copy in its own queue freed too");
  expect(keel::job_create(KEEL_HANDLE_INVALID, &none, &job), KEEL_OK, "a job");
  expect(keel::spawn("spin", nullptr, 0, nullptr, 0, &p, job, KEEL_SPAWN_SUSPENDED), KEEL_OK,
         "spawn spin suspended into it");
  keel::object_info(p, &info);
  keel_handle_t opened;
  expect(keel::job_open(job, info.koid, &opened), KEEL_OK, "job_open it");
  expect(keel::process_start(opened), ERR_ACCESS_DENIED, "job_open's handle cannot start it");
  keel::handle_close(p);
  expect(keel::process_wait(opened, &code, keel::PATIENCE_MS), KEEL_OK,
         "the spawner's handle closed: it exits");
  tap::ok(code == KEEL_EXIT_KILLED, "killed (%ld)", static_cast<long>(code));
  keel::handle_close(job);

  Spawn bad("exitcode");
  for (uint32_t flags : {2u, 0x80000000u, KEEL_SPAWN_SUSPENDED | 4u}) {
    bad.args.flags = flags;
    keel_handle_t out = KEEL_HANDLE_INVALID;
    expect(keel::process_spawn(&bad.args, &out), ERR_INVALID_ARGS, "spawn with flags %#x", flags);
  }
  tap::at_baseline(base, "after suspended spawns");
}

}  // namespace

int main(int, char**) {
  tap::plan(205);
  utest::scratch();  // warm up: the scratch and read-only pages, our pid
  utest::read_only();
  utest::self_pid();
  utest::grow_handle_table(512);
  keel::KstatSnapshot base;
  tap::baseline(base);

  spawn_and_wait(base);
  spawn_more(base);
  wait_timeouts(base);
  kill(base);
  holder(base, true);
  holder(base, false);
  spawn_failures(base);
  spawn_moves_handles(base);
  list_and_open(base);
  list_many(base);
  observer_of_exited(base);
  suspended(base);
  return tap::done();
}
