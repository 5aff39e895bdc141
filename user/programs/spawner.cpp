// spawner MODE MS: spawns "sleeper MS", then
//   wait    waits for it with no time limit (to be killed while waiting);
//   orphan  also spawns "exitcode 7" and exits at once without waiting: the
//           sleeper runs on as an orphan, and the exit record of exitcode
//           must go with this process's handles.
#include <libk/string.h>

#include "keel.h"

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const char* ms = argv[2];
  keel_handle_t sleeper, quick;
  if (keel::spawn("sleeper", &ms, 1, nullptr, 0, &sleeper) != KEEL_OK) return 3;
  if (libk::str_eq(argv[1], "wait")) {
    int64_t code;
    return keel::process_wait(sleeper, &code, KEEL_TIMEOUT_INFINITE) == KEEL_OK ? 0 : 4;
  }
  const char* seven = "7";
  if (keel::spawn("exitcode", &seven, 1, nullptr, 0, &quick) != KEEL_OK) return 5;
  return 0;
}
