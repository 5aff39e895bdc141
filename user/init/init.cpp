// init: the first process. Startup handle 0 is the process directory with
// every right. init starts procfs and the shell, giving each only the
// capabilities it needs:
//   procfs: the service end of the procfs channel, the directory with
//           ENUMERATE | INSPECT (list and observe, nothing else);
//   shell:  a duplicate of the client end of the procfs channel, the
//           directory with POWER only (for poweroff; it cannot list).
// It restarts the shell (and procfs) if they exit. Orphans need no reaping
// by hand: a process nobody holds a handle to is freed by the kernel the
// moment it exits, so init only has to drop the handles it holds itself.
// argv[1], if given, is the program to run instead of the shell (tests and
// benchmarks), with argv[2...] as its arguments; its exit ends the system.
#include "keel.h"

namespace {
keel_handle_t directory, service_client, service_server;

// Arguments for the program run in the shell's place (init's argv[2...]).
const char* const* program_args;
size_t program_nargs;

keel_handle_t start(const char* name, const keel_handle_t* handles, size_t n,
                    const char* const* args = nullptr, size_t nargs = 0) {
  keel_handle_t h = KEEL_HANDLE_INVALID;
  int64_t r = keel::spawn(name, args, nargs, handles, n, &h);
  if (r < 0) {
    keel::printf("init: cannot start %s: %s\n", name, keel_status_name(static_cast<int32_t>(r)));
    return KEEL_HANDLE_INVALID;
  }
  return h;
}

keel_handle_t start_procfs() {
  keel_handle_t dir;
  if (keel::handle_duplicate(directory, KEEL_RIGHT_ENUMERATE | KEEL_RIGHT_INSPECT | KEEL_RIGHT_TRANSFER, &dir) < 0)
    return KEEL_HANDLE_INVALID;
  keel_handle_t server;  // procfs gets its own duplicate; init keeps the original
  if (keel::handle_duplicate(service_server, KEEL_RIGHTS_SAME, &server) < 0) return KEEL_HANDLE_INVALID;
  keel_handle_t hs[] = {server, dir};
  keel_handle_t p = start("procfs", hs, 2);
  if (p == KEEL_HANDLE_INVALID) {
    keel::handle_close(server);
    keel::handle_close(dir);
  }
  return p;
}

keel_handle_t start_shell(const char* program) {
  keel_handle_t client, dir;
  if (keel::handle_duplicate(service_client, KEEL_RIGHTS_SAME, &client) < 0) return KEEL_HANDLE_INVALID;
  if (keel::handle_duplicate(directory, KEEL_RIGHT_POWER | KEEL_RIGHT_TRANSFER, &dir) < 0) {
    keel::handle_close(client);
    return KEEL_HANDLE_INVALID;
  }
  keel_handle_t hs[] = {client, dir};
  keel_handle_t p = start(program, hs, 2, program_args, program_nargs);
  if (p == KEEL_HANDLE_INVALID) {
    keel::handle_close(client);
    keel::handle_close(dir);
  }
  return p;
}
}  // namespace

int main(int argc, char** argv) {
  directory = keel::startup_handle(0);
  const char* program = argc > 1 ? argv[1] : "shell";
  program_args = argc > 2 ? argv + 2 : nullptr;
  program_nargs = argc > 2 ? static_cast<size_t>(argc - 2) : 0;
  if (keel::channel_create(&service_client, &service_server) < 0) return 1;
  keel_handle_t procfs = start_procfs();
  keel_handle_t shell = start_shell(program);
  for (;;) {
    int64_t code = 0;
    if (shell != KEEL_HANDLE_INVALID) {
      int64_t r = keel::process_wait(shell, &code, 500);
      if (r == KEEL_OK) {
        // A test program run in the shell's place ends the system with its
        // status; everything init started goes first, so the kernel's leak
        // check sees the system as it was before init.
        if (argc > 1) {
          if (procfs != KEEL_HANDLE_INVALID) {
            int64_t ignored;
            keel::process_kill(procfs);
            keel::process_wait(procfs, &ignored, KEEL_TIMEOUT_INFINITE);
          }
          keel::handle_close(service_client);
          keel::handle_close(service_server);
          return static_cast<int>(code);
        }
        keel::printf("init: shell exited (%ld), restarting it\n", code);
        shell = start_shell(program);
      }
    } else {
      keel::sleep_ms(1000);  // it could not start: try again, slowly
      shell = start_shell(program);
    }
    if (procfs != KEEL_HANDLE_INVALID && keel::process_wait(procfs, &code, 0) == KEEL_OK) {
      keel::printf("init: procfs exited (%ld), restarting it\n", code);
      procfs = start_procfs();
    } else if (procfs == KEEL_HANDLE_INVALID) {
      keel::sleep_ms(1000);  // it could not start: try again, slowly
      procfs = start_procfs();
    }
  }
}
