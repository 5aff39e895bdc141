// Tasks of a process: task_create's checks, task handles (type, rights,
// state), exit codes, kill and wait, tasks sharing memory, the per-process
// limit; processes with tasks blocked in every state killed at once; how
// a process ends (its last task's code, exit() from any task, a fault in
// any task); and tasks of one process racing each other on its handle
// table and address space. Every group ends with the counters back.
#include "common.h"

using utest::expect;

namespace {

int64_t returns_arg(void* arg) { return reinterpret_cast<int64_t>(arg); }
int64_t sleeps(void*) { return keel::sleep_ms(UINT64_MAX / 2) == ERR_INTERRUPTED ? 1 : 2; }
int64_t spins(void*) {
  volatile uint64_t n = 0;
  for (;;) n = n + 1;
}

keel_handle_t own_handle;
int64_t waits_for_itself(void*) {
  while (!__atomic_load_n(&own_handle, __ATOMIC_ACQUIRE)) keel::yield();
  int64_t code;
  return keel::task_wait(own_handle, &code, KEEL_TIMEOUT_INFINITE);
}

uint64_t shared_counter;
int64_t adds(void*) {
  for (int i = 0; i < 10000; i++) __atomic_fetch_add(&shared_counter, 1, __ATOMIC_RELAXED);
  return 0;
}

void create_checks(const keel::KstatSnapshot& base) {
  keel_handle_t h;
  uintptr_t stack = reinterpret_cast<uintptr_t>(utest::scratch()) + 4096;
  uintptr_t pc = reinterpret_cast<uintptr_t>(&spins);
  expect(keel::task_create(0, stack, 0, &h), ERR_INVALID_ARGS, "task_create at pc 0");
  expect(keel::task_create(0xffffffff80200000ull, stack, 0, &h), ERR_INVALID_ARGS,
         "task_create at a kernel pc");
  expect(keel::task_create(pc + 1, stack, 0, &h), ERR_INVALID_ARGS, "task_create at an odd pc");
  expect(keel::task_create(pc, stack - 8, 0, &h), ERR_INVALID_ARGS,
         "task_create with a misaligned stack");
  expect(keel::task_create(pc, 0, 0, &h), ERR_INVALID_ARGS, "task_create with stack 0");
  expect(keel::task_create(pc, 0xffffffff80200000ull, 0, &h), ERR_INVALID_ARGS,
         "task_create with a kernel stack");
  utest::each_bad_pointer("task_create out", true, [&](uintptr_t a) {
    return keel::task_create(pc, stack, 0, utest::ptr<keel_handle_t>(a));
  });
  tap::at_baseline(base, "no task made by a refused task_create");
}

void handles_and_codes(const keel::KstatSnapshot& base) {
  keel::Thread t;
  expect(keel::thread_start(t, returns_arg, reinterpret_cast<void*>(42)), KEEL_OK,
         "start a task returning 42");
  keel_object_info info = utest::info_of(t.handle);
  tap::ok(info.type == KEEL_OBJ_TASK && info.rights == KEEL_TASK_RIGHTS &&
              info.related_koid == utest::self_pid() && info.tasks != 0,
          "a task handle: type task, kill/wait/inspect/duplicate/transfer, our pid, its tid");
  int64_t code = 0;
  expect(keel::thread_join(t, &code), KEEL_OK, "wait for it");
  tap::ok(code == 42, "its return value is its exit code (%ld)", code);
  expect(keel::object_info(t.handle, &info), ERR_BAD_HANDLE, "the wait consumed the handle");

  // A handle outlives its task: it then reads the exit record.
  expect(keel::thread_start(t, returns_arg, reinterpret_cast<void*>(-3)), KEEL_OK,
         "start a task returning -3");
  uint64_t t0 = keel::clock_ms();
  do info = utest::info_of(t.handle);
  while (info.state != KEEL_STATE_EXITED && keel::clock_ms() - t0 < keel::PATIENCE_MS);
  tap::ok(info.state == KEEL_STATE_EXITED && info.exit_code == -3,
          "an ended task's handle says exited, code %ld", info.exit_code);
  expect(keel::task_kill(t.handle), KEEL_OK, "killing an ended task changes nothing");
  expect(keel::thread_join(t, &code, 0), KEEL_OK, "a poll reaps it");
  tap::ok(code == -3, "and its own code stands (%ld)", code);

  // Kill, timeouts, rights, types.
  expect(keel::thread_start(t, sleeps, nullptr), KEEL_OK, "start a sleeping task");
  expect(keel::task_wait(t.handle, &code, 0), ERR_SHOULD_WAIT, "a poll on a live task");
  expect(keel::task_wait(t.handle, &code, 20), ERR_TIMED_OUT, "a 20 ms wait on a sleeping task");
  keel_handle_t weak;
  expect(keel::handle_duplicate(t.handle, KEEL_RIGHT_INSPECT, &weak), KEEL_OK, "inspect-only copy");
  expect(keel::task_kill(weak), ERR_ACCESS_DENIED, "task_kill needs KILL");
  expect(keel::task_wait(weak, &code, 0), ERR_ACCESS_DENIED, "task_wait needs WAIT");
  expect(keel::process_kill(weak), ERR_WRONG_TYPE, "a task handle is not a process handle");
  expect(keel::task_kill(utest::dir()), ERR_WRONG_TYPE, "a directory is not a task");
  utest::each_bad_pointer("task_wait out", true, [&](uintptr_t a) {
    return keel::task_wait(t.handle, utest::ptr<int64_t>(a), 0);
  });
  expect(keel::task_kill(t.handle), KEEL_OK, "kill the sleeping task");
  expect(keel::thread_join(t, &code), KEEL_OK, "wait for it");
  tap::ok(code == KEEL_EXIT_KILLED, "a killed task's code is KEEL_EXIT_KILLED (%ld)", code);
  expect(keel::handle_close(weak), KEEL_OK, "close the copy");

  // A spinning task (on another hart, given several) stops too.
  expect(keel::thread_start(t, spins, nullptr), KEEL_OK, "start a spinning task");
  keel::sleep_ms(5);
  expect(keel::task_kill(t.handle), KEEL_OK, "kill it");
  expect(keel::thread_join(t, &code), KEEL_OK, "wait for it");
  tap::ok(code == KEEL_EXIT_KILLED, "the spinner ended killed (%ld)", code);

  // Waiting for oneself is refused, not a hang.
  own_handle = KEEL_HANDLE_INVALID;
  expect(keel::thread_start(t, waits_for_itself, nullptr), KEEL_OK, "start a self-waiter");
  __atomic_store_n(&own_handle, t.handle, __ATOMIC_RELEASE);
  expect(keel::thread_join(t, &code), KEEL_OK, "wait for the self-waiter");
  tap::ok(code == ERR_INVALID_ARGS, "a task waiting for itself gets ERR_INVALID_ARGS (%ld)", code);

  // Tasks share the address space.
  keel::Thread ts[4];
  shared_counter = 0;
  int started = 0;
  for (auto& x : ts) started += keel::thread_start(x, adds, nullptr) == KEEL_OK;
  for (auto& x : ts) keel::thread_join(x, &code);
  tap::ok(started == 4 && shared_counter == 40000, "4 tasks add 10000 each to one counter: %lu",
          shared_counter);
  tap::at_baseline(base, "every task, stack and handle gone");
}

void limit(const keel::KstatSnapshot& base) {
  static keel::Thread ts[KEEL_MAX_TASKS_PER_PROCESS];
  size_t n = 0;
  int64_t r = KEEL_OK;
  while (n < KEEL_MAX_TASKS_PER_PROCESS &&
         (r = keel::thread_start(ts[n], sleeps, nullptr, 4096)) == KEEL_OK)
    n++;
  tap::ok(n == KEEL_MAX_TASKS_PER_PROCESS - 1 && r == ERR_OUT_OF_RANGE,
          "a process has at most %u tasks: %zu more started, then %s", KEEL_MAX_TASKS_PER_PROCESS,
          n, keel_status_name(static_cast<int32_t>(r)));
  for (size_t i = 0; i < n; i++) keel::task_kill(ts[i].handle);
  size_t killed = 0;
  for (size_t i = 0; i < n; i++) {
    int64_t code = 0;
    killed += keel::thread_join(ts[i], &code) == KEEL_OK && code == KEEL_EXIT_KILLED;
  }
  tap::ok(killed == n, "all %zu killed and reaped", killed);
  tap::at_baseline(base, "the limit left nothing behind");
}

// Child processes with several tasks.
keel_handle_t start_tasks(const char* mode, keel_handle_t ch = KEEL_HANDLE_INVALID) {
  return utest::start("tasks", mode, ch);
}

void child_processes(const keel::KstatSnapshot& base) {
  for (int round = 0; round < 3; round++) {
    keel_handle_t mine, theirs;
    keel::channel_create(&mine, &theirs);
    keel_handle_t p = start_tasks("states", theirs);
    char b = 0;
    size_t n = 0;
    int64_t r = keel::read_message(mine, &b, 1, &n, nullptr, 0, nullptr, keel::PATIENCE_MS);
    keel::sleep_ms(10);  // let every task reach its state
    keel_object_info info = utest::info_of(p);
    if (round == 0) {
      tap::ok(r == KEEL_OK && info.tasks == 6,
              "a child with 6 tasks: spinning, yielding, sleeping, reading, joining, reading "
              "(%lu tasks)",
              info.tasks);
    }
    int64_t code = utest::reap(p);
    if (round == 0) tap::ok(code == KEEL_EXIT_KILLED, "killed as one: code %ld", code);
    keel::handle_close(mine);
  }
  tap::at_baseline(base, "every task of the killed children freed before process_wait returned");

  int64_t code = utest::reap(start_tasks("last"), false);
  tap::ok(code == 7,
          "a process whose tasks all end by themselves exits with the last one's code "
          "(%ld)",
          code);
  code = utest::reap(start_tasks("exit"), false);
  tap::ok(code == 3, "exit() from any task ends the process with its code (%ld)", code);
  code = utest::reap(start_tasks("fault"), false);
  tap::ok(code == KEEL_EXIT_FAULT, "a fault in any task ends the process (%ld)", code);
  tap::at_baseline(base, "the ended children left nothing behind");
}

// Tasks racing on one handle table: a handle closed by one task while
// another sends it (the move fails whole or succeeds whole, never panics).
keel_handle_t race_handle;
int race_ready;
int64_t closes(void*) {
  keel_handle_t h;
  __atomic_store_n(&race_ready, 1, __ATOMIC_RELEASE);
  while (!(h = __atomic_load_n(&race_handle, __ATOMIC_ACQUIRE))) {
  }
  return keel::handle_close(h);
}
// ... and on one address space.
int64_t maps(void*) {
  for (int i = 0; i < 200; i++) {
    uintptr_t a = 0;
    if (keel::vm_alloc(4096 * (1 + i % 4), KEEL_VM_READ | KEEL_VM_WRITE, &a) != KEEL_OK) return 1;
    reinterpret_cast<volatile uint8_t*>(a)[0] = 1;
    if (keel::vm_free(a, 4096 * (1 + i % 4)) != KEEL_OK) return 2;
  }
  return 0;
}

void races(const keel::KstatSnapshot& base) {
  keel_handle_t a, b;
  keel::channel_create(&a, &b);
  int moved = 0, refused = 0, other = 0;
  for (int i = 0; i < 200; i++) {
    keel_handle_t h;
    keel::handle_duplicate(utest::dir(), KEEL_RIGHTS_SAME, &h);
    __atomic_store_n(&race_handle, KEEL_HANDLE_INVALID, __ATOMIC_RELEASE);
    keel::Thread t;
    __atomic_store_n(&race_ready, 0, __ATOMIC_RELEASE);
    keel::thread_start(t, closes, nullptr);
    while (!__atomic_load_n(&race_ready, __ATOMIC_ACQUIRE)) keel::yield();  // it runs: go
    __atomic_store_n(&race_handle, h, __ATOMIC_RELEASE);
    int64_t r = keel::channel_write(a, "x", 1, &h, 1);
    moved += r == KEEL_OK;
    refused += r == ERR_BAD_HANDLE;
    other += r != KEEL_OK && r != ERR_BAD_HANDLE;
    int64_t code;
    keel::thread_join(t, &code);
    char buf[4];
    keel_handle_t got[1];
    size_t nb, nh;
    if (r == KEEL_OK && keel::read_message(b, buf, 4, &nb, got, 1, &nh, 0) == KEEL_OK && nh == 1)
      keel::handle_close(got[0]);
  }
  tap::ok(other == 0 && moved + refused == 200,
          "a handle closed while being sent: moved %d times, refused %d times", moved, refused);
  keel::handle_close(a);
  keel::handle_close(b);

  keel::Thread ts[4];
  for (auto& t : ts) keel::thread_start(t, maps, nullptr);
  int clean = 0;
  for (auto& t : ts) {
    int64_t code = -1;
    keel::thread_join(t, &code);
    clean += code == 0;
  }
  tap::ok(clean == 4, "4 tasks mapping and unmapping at once: %d of 4 clean", clean);
  tap::at_baseline(base, "the races left nothing behind");
}
}  // namespace

int main(int, char**) {
  tap::plan(61);
  utest::scratch();
  utest::read_only();
  utest::self_pid();
  utest::grow_handle_table(256);
  keel::KstatSnapshot base;
  tap::baseline(base);

  create_checks(base);
  handles_and_codes(base);
  limit(base);
  child_processes(base);
  races(base);
  return tap::done();
}
