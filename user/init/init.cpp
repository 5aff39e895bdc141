// init: the first process. Startup handle 0 is the process directory with
// every right, 1 the root job. init starts procfs and the shell, giving each
// only the capabilities it needs:
//   procfs: the service end of the procfs channel, the directory with
//           ENUMERATE | INSPECT (list and observe, nothing else);
//   shell:  a duplicate of the client end of the procfs channel, the
//           directory with POWER only (for poweroff; it cannot list).
// The shell (or the program in its place) runs in a job of its own under the
// root job: when it exits, init kills that job before starting the next, so
// everything the shell started is gone, torn down, before the new prompt.
// It restarts the shell (and procfs) if they exit. A program that cannot be
// started is tried again once a second, at most kMaxFailedStarts times in a
// row; then init gives up on it and says why (for the program in the
// shell's place, init then exits 1; giving up on procfs closes the service
// channel, so clients see ERR_PEER_CLOSED instead of waiting for ever).
// Between events init sleeps: each program it runs has an observer whose
// exit notice wakes it (no polling). A program is spawned suspended and
// started once init observes it, so nothing it sees of the system moves
// after its first instruction on init's account (a test's kstat baseline).
// Orphans need no reaping by hand: a process nobody holds a handle to is
// freed by the kernel the moment it exits, so init only has to drop the
// handles it holds itself.
// argv[1], if given, is the program to run instead of the shell (tests and
// benchmarks), with argv[2...] as its arguments; its exit ends the system.
//
// Only the kernel starts init: run any other way (say `spawn init` at the
// shell) it has no directory with every right, says so and exits 1.
#include <initializer_list>

#include "keel.h"

namespace {
// Starts in a row that may fail before init gives up on a program.
constexpr int kMaxFailedStarts = 5;

keel_handle_t directory, root_job, service_client, service_server;
// Exit notices of what init runs arrive in exits_read's own queue (the
// observers post them there); exits_write stays open so reads wait.
keel_handle_t exits_read, exits_write;

// Arguments for the program run in the shell's place (init's argv[2...]).
const char* const* program_args;
size_t program_nargs;

// A program init keeps running: its process handle while it runs, and the
// failed starts since it last started.
struct Supervised {
  const char* name;
  keel_handle_t process = KEEL_HANDLE_INVALID;
  keel_handle_t job = KEEL_HANDLE_INVALID;       // the shell's: everything it starts is in it
  keel_handle_t observer = KEEL_HANDLE_INVALID;  // posts its exit notice to exits_read
  uint64_t pid = 0;
  int failed_starts = 0;
  bool given_up = false;
};

// The kernel gives the first process, and no one else, the process
// directory with every right as startup handle 0 (init passes on only
// subsets of it).
bool started_by_kernel() {
  keel_object_info info;
  return keel::object_info(directory, &info) == KEEL_OK &&
         info.type == KEEL_OBJ_PROCESS_DIRECTORY && info.rights == KEEL_RIGHTS_ALL;
}

// The status of a failed start (< 0), or KEEL_OK with *out the process,
// suspended (try_start starts it).
int64_t start(const char* name, const keel_handle_t* handles, size_t n, keel_handle_t* out,
              const char* const* args = nullptr, size_t nargs = 0,
              keel_handle_t job = KEEL_HANDLE_INVALID) {
  int64_t r = keel::spawn(name, args, nargs, handles, n, out, job, KEEL_SPAWN_SUSPENDED);
  if (r < 0)
    keel::printf("init: cannot start %s: %s\n", name, keel_status_name(static_cast<int32_t>(r)));
  return r;
}

int64_t start_procfs(keel_handle_t* out) {
  keel_handle_t dir;
  int64_t r = keel::handle_duplicate(
      directory, KEEL_RIGHT_ENUMERATE | KEEL_RIGHT_INSPECT | KEEL_RIGHT_TRANSFER, &dir);
  if (r < 0) return r;
  keel_handle_t server;  // procfs gets its own duplicate; init keeps the original
  r = keel::handle_duplicate(service_server, KEEL_RIGHTS_SAME, &server);
  if (r < 0) {
    keel::handle_close(dir);
    return r;
  }
  keel_handle_t hs[] = {server, dir};
  r = start("procfs", hs, 2, out);
  if (r < 0) {  // a failed spawn leaves the handles with init
    keel::handle_close(server);
    keel::handle_close(dir);
  }
  return r;
}

int64_t start_shell(const char* program, keel_handle_t job, keel_handle_t* out) {
  keel_handle_t client, dir;
  int64_t r = keel::handle_duplicate(service_client, KEEL_RIGHTS_SAME, &client);
  if (r < 0) return r;
  r = keel::handle_duplicate(directory, KEEL_RIGHT_POWER | KEEL_RIGHT_TRANSFER, &dir);
  if (r < 0) {
    keel::handle_close(client);
    return r;
  }
  keel_handle_t hs[] = {client, dir};
  r = start(program, hs, 2, out, program_args, program_nargs, job);
  if (r < 0) {
    keel::handle_close(client);
    keel::handle_close(dir);
  }
  return r;
}

// Kill p's job and let go of it: returns once everything in it is gone.
void end_job(Supervised& p) {
  if (p.job == KEEL_HANDLE_INVALID) return;
  keel::job_kill(p.job);
  keel::handle_close(p.job);
  p.job = KEEL_HANDLE_INVALID;
}

// Watch a started program: its exit notice wakes init. If this fails (no
// memory, or it has exited already), init looks again every second instead.
void watch(Supervised& p) {
  keel_object_info info;
  if (keel::object_info(p.process, &info) != KEEL_OK) return;
  p.pid = info.koid;
  if (keel::process_open(directory, p.pid, &p.observer, exits_read) != KEEL_OK)
    p.observer = KEEL_HANDLE_INVALID;
}

// Has p exited? If the exit notice named it, waits for the end of its
// teardown (the notice comes first); otherwise only looks. If it has, its
// status goes to *code and init lets go of its handles.
bool ended(Supervised& p, uint64_t notice_pid, int64_t* code) {
  if (p.process == KEEL_HANDLE_INVALID) return false;
  uint64_t wait_ms = notice_pid && notice_pid == p.pid ? KEEL_TIMEOUT_INFINITE : 0;
  if (keel::process_wait(p.process, code, wait_ms) != KEEL_OK) return false;
  p.process = KEEL_HANDLE_INVALID;  // process_wait consumed the handle
  if (p.observer != KEEL_HANDLE_INVALID) keel::handle_close(p.observer);
  p.observer = KEEL_HANDLE_INVALID;
  p.pid = 0;
  return true;
}

// What init still has to do something about, without a notice to wake it:
// a program to start again, or one it could not watch.
bool needs_a_look(const Supervised& p) {
  if (p.process == KEEL_HANDLE_INVALID) return !p.given_up;
  return p.observer == KEEL_HANDLE_INVALID;
}

// One attempt to (re)start p; after kMaxFailedStarts failures in a row init
// gives up on it, naming the last error.
template <typename Starter>
void try_start(Supervised& p, Starter starter) {
  if (p.given_up || p.process != KEEL_HANDLE_INVALID) return;
  int64_t r = starter(&p.process);
  if (r == KEEL_OK) {
    p.failed_starts = 0;
    watch(p);
    keel::process_start(p.process);  // ERR_BAD_STATE only if killed meanwhile: it exits
    return;
  }
  p.process = KEEL_HANDLE_INVALID;
  if (++p.failed_starts < kMaxFailedStarts) return;
  p.given_up = true;
  keel::printf("init: giving up on %s after %d failed starts: %s\n", p.name, p.failed_starts,
               keel_status_name(static_cast<int32_t>(r)));
}
}  // namespace

int main(int argc, char** argv) {
  directory = keel::startup_handle(0);
  root_job = keel::startup_handle(1);
  if (!started_by_kernel()) {
    keel::printf(
        "init: not started by the kernel (startup handle 0 is not the process directory "
        "with every right); there is one init, and it is already running\n");
    return 1;
  }
  const char* program = argc > 1 ? argv[1] : "shell";
  bool program_mode = argc > 1;  // a test program in the shell's place
  program_args = argc > 2 ? argv + 2 : nullptr;
  program_nargs = argc > 2 ? static_cast<size_t>(argc - 2) : 0;
  if (keel::channel_create(&service_client, &service_server) < 0) return 1;
  if (keel::channel_create(&exits_read, &exits_write) < 0) return 1;
  Supervised procfs{"procfs"}, shell{program};
  auto procfs_starter = [](keel_handle_t* out) { return start_procfs(out); };
  // The shell's job is made with it and goes with it (end_job).
  auto shell_starter = [program, &shell](keel_handle_t* out) {
    const keel_job_limits none{};
    int64_t r = keel::job_create(root_job, &none, &shell.job);
    if (r < 0) return r;
    r = start_shell(program, shell.job, out);
    if (r < 0) end_job(shell);
    return r;
  };
  try_start(procfs, procfs_starter);
  try_start(shell, shell_starter);
  int exit_status = 1;  // what init returns if it gives up on the shell
  for (;;) {
    // What could not start is tried again (a second after the last try:
    // the wait below).
    try_start(shell, shell_starter);
    try_start(procfs, procfs_starter);
    if (procfs.given_up && service_server != KEEL_HANDLE_INVALID) {
      // Nobody will answer the service channel again: clients see
      // ERR_PEER_CLOSED rather than waiting for ever.
      keel::handle_close(service_server);
      service_server = KEEL_HANDLE_INVALID;
    }
    if (shell.given_up) break;  // nothing left to run: init ends the system
    // Sleep until a program exits (its exit notice), or a second if there
    // is something to look at again.
    bool look = needs_a_look(shell) || needs_a_look(procfs);
    keel_exit_notice notice{};
    size_t got = 0;
    int64_t r = keel::read_message(exits_read, &notice, sizeof(notice), &got, nullptr, 0, nullptr,
                                   look ? 1000 : KEEL_TIMEOUT_INFINITE);
    uint64_t exited =
        r == KEEL_OK && got == sizeof(notice) && notice.magic == KEEL_EXIT_NOTICE_MAGIC ? notice.pid
                                                                                        : 0;
    int64_t code = 0;
    if (ended(shell, exited, &code)) {
      end_job(shell);
      // A test program run in the shell's place ends the system with its
      // status.
      if (program_mode) {
        exit_status = static_cast<int>(code);
        break;
      }
      keel::printf("init: shell exited (%ld), restarting it\n", code);
      try_start(shell, shell_starter);
    }
    if (ended(procfs, exited, &code)) {
      keel::printf("init: procfs exited (%ld), restarting it\n", code);
      try_start(procfs, procfs_starter);
    }
  }
  // Everything init started goes first, so the kernel's leak check sees the
  // system as it was before init.
  if (procfs.process != KEEL_HANDLE_INVALID) {
    int64_t ignored;
    keel::process_kill(procfs.process);
    keel::process_wait(procfs.process, &ignored, KEEL_TIMEOUT_INFINITE);
  }
  for (keel_handle_t h : {procfs.observer, shell.observer, service_server})
    if (h != KEEL_HANDLE_INVALID) keel::handle_close(h);
  for (keel_handle_t h : {service_client, exits_read, exits_write}) keel::handle_close(h);
  return exit_status;
}
