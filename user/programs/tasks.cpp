// tasks MODE: a process with several tasks, for the tasks tests and the
// leak workload.
//   states   (handle 0: a channel) starts a spinner, a yielder, a sleeper,
//            a reader blocked on a channel and a joiner blocked waiting for
//            the sleeper, writes one byte to handle 0 once all are started,
//            then blocks reading handle 0 for ever: only a kill ends it.
//   last     the first task ends with task_exit(5) while another runs on and
//            returns 7: the process exits 7 (its last task's code).
//   exit     a second task calls exit(3) while the first sleeps: every task
//            ends, the process exits 3.
//   fault    a second task stores to address 0 while the first sleeps: the
//            fault ends the process (KEEL_EXIT_FAULT).
#include <libk/string.h>

#include "keel.h"

namespace {
keel_handle_t sleeper_handle;
keel_handle_t read_end;

int64_t spin(void*) {
  volatile uint64_t n = 0;
  for (;;) n = n + 1;
}
int64_t yielder(void*) {
  for (;;) keel::yield();
}
int64_t sleeper(void*) { return keel::sleep_ms(UINT64_MAX / 2); }
int64_t reader(void*) {
  char b;
  size_t n;
  return keel::read_message(read_end, &b, 1, &n);
}
int64_t joiner(void*) {
  int64_t code;
  return keel::task_wait(sleeper_handle, &code, KEEL_TIMEOUT_INFINITE);
}
int64_t late_seven(void*) {
  keel::sleep_ms(30);
  return 7;
}
int64_t exits_all(void*) {
  keel::sleep_ms(10);
  keel::exit(3);
}
int64_t faults(void*) {
  keel::sleep_ms(10);
  *reinterpret_cast<volatile int*>(uintptr_t{0}) = 1;
  return 0;
}

bool start(int64_t (*fn)(void*), keel_handle_t* out = nullptr) {
  keel::Thread t;
  if (keel::thread_start(t, fn, nullptr, 8192) != KEEL_OK) return false;
  if (out) *out = t.handle;
  return true;
}

int states() {
  keel_handle_t parent = keel::startup_handle(0), keep = KEEL_HANDLE_INVALID;
  if (keel::channel_create(&read_end, &keep) != KEEL_OK) return 1;
  if (!start(spin) || !start(yielder) || !start(sleeper, &sleeper_handle) || !start(reader) ||
      !start(joiner))
    return 2;
  char ready = 'r';
  keel::channel_write(parent, &ready, 1, nullptr, 0);
  char b;
  size_t n;
  keel::read_message(parent, &b, 1, &n);  // the parent never writes: until killed
  return 3;
}
}  // namespace

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  if (libk::str_eq(mode, "states")) return states();
  if (libk::str_eq(mode, "last")) {
    if (!start(late_seven)) return 1;
    keel::task_exit(5);
  }
  if (libk::str_eq(mode, "exit") || libk::str_eq(mode, "fault")) {
    if (!start(libk::str_eq(mode, "exit") ? exits_all : faults)) return 1;
    keel::sleep_ms(UINT64_MAX / 2);
    return 4;
  }
  keel::printf("usage: tasks states|last|exit|fault\n");
  return 1;
}
