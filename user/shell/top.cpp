#include "top.h"

#include "console.h"
#include "procfs_client.h"
#include "shell.h"
#include "status_words.h"

namespace shell {
namespace {
constexpr uint64_t REFRESH_MS = 1000;
}

void print_uptime() {
  uint64_t s = keel::clock_ms() / 1000;
  keel::printf("up %lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
  int64_t n = proc::count_processes();
  if (n >= 0) keel::printf(", %ld processes", n);
  keel::printf("\n");
}

int64_t cmd_uptime(size_t, char**) {
  print_uptime();
  return 0;
}

int64_t cmd_top(size_t, char**) {
  for (uint64_t frame = 1;; frame++) {
    keel::printf("\x1b[H\x1b[2J");
    keel::printf("top: refresh %lu, every %lu ms; Ctrl-C or q leaves\n", frame, REFRESH_MS);
    print_uptime();
    int64_t r = proc::print_ps();
    if (r != KEEL_OK) return fail("top: %s\n", error_phrase(r, Subject::Service));
    proc::cmd_meminfo(0, nullptr);
    keel::flush();
    uint64_t until = keel::clock_ms() + REFRESH_MS;
    for (uint64_t now = keel::clock_ms(); now < until; now = keel::clock_ms()) {
      char buf[64];
      size_t n = console::read_fresh(buf, sizeof(buf), until - now);
      for (size_t i = 0; i < n; i++) {
        if (buf[i] == 0x03 || buf[i] == 'q') {
          keel::printf("%s\n", buf[i] == 'q' ? "" : "^C");
          return 0;
        }
      }
    }
  }
}

}  // namespace shell
