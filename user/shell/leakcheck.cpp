#include "leakcheck.h"

#include <libk/format.h>
#include <procfs/protocol.h>

#include "console.h"
#include "number.h"
#include "shell.h"

namespace shell {
namespace {
keel::KstatSnapshot before, after;
char buf[procfs::DATA_MAX + 1];

bool procfs_get(procfs::Op op, const char* path) {
  size_t len;
  return procfs_service != KEEL_HANDLE_INVALID &&
         procfs::request(procfs_service, op, path, buf, procfs::DATA_MAX, &len) == KEEL_OK;
}

bool leak_round() {
  keel_handle_t ctl, child_end, child;
  if (keel::channel_create(&ctl, &child_end) < 0) return false;
  const char* args[] = {"2"};
  if (keel::spawn("holder", args, 1, &child_end, 1, &child) < 0) {
    keel::handle_close(ctl);
    keel::handle_close(child_end);
    return false;
  }
  char msg[8];
  size_t n;
  bool ok = keel::read_message(ctl, msg, sizeof(msg), &n, nullptr, 0, nullptr, keel::PATIENCE_MS) ==
            KEEL_OK;
  ok &= procfs_get(procfs::OP_LIST, "/proc");
  keel_object_info info;
  char path[64];
  libk::format(path, sizeof(path), "/proc/%lu/status",
               keel::object_info(child, &info) == KEEL_OK ? info.koid : 0);
  ok &= procfs_get(procfs::OP_READ, path);
  keel::handle_close(ctl);  // the holder sees its peer closed and exits
  int64_t code;
  ok &= keel::process_wait(child, &code, keel::PATIENCE_MS) == KEEL_OK && code == 0;
  keel::handle_close(child);
  return ok;
}
}  // namespace

int64_t cmd_leakcheck(size_t, char** argv) {
  int64_t rounds = 0;
  NumberError e = parse_int(libk::StringView(argv[1]), 1, 1000000, &rounds);
  if (e != NumberError::None)
    return fail("leakcheck: %s: %s (1 to 1000000 rounds)\n", argv[1], number_error_phrase(e));
  leak_round();  // warm up: the shell's own heap and procfs's first answers
  procfs_get(procfs::OP_LIST, "/proc");
  keel::kstat_snapshot(before);
  size_t failed = 0;
  int64_t done = 0;
  bool interrupted = false;
  for (; done < rounds; done++) {
    if (console::poll(0)) {
      keel::printf("^C\nleakcheck: interrupted after %ld of %ld rounds\n", done, rounds);
      interrupted = true;
      break;
    }
    if (!leak_round()) failed++;
    if ((done + 1) % 100 == 0 && done + 1 < rounds) {
      keel::printf("leakcheck: %ld/%ld\n", done + 1, rounds);
      keel::flush();
    }
  }
  procfs_get(procfs::OP_LIST, "/proc");  // procfs drops what was revoked
  keel::kstat_snapshot(after);
  size_t above = 0;
  for (size_t i = 0; i < after.count; i++) {
    int64_t was = 0;
    keel::kstat_value(before, after.names[i], &was);
    bool leaked = keel::kstat_leaked(after.names[i], was, after.values[i]);
    above += leaked ? 1 : 0;
    keel::printf("  %-26s %10ld  %+ld%s\n", after.names[i], after.values[i], after.values[i] - was,
                 leaked ? "  <-- above baseline" : "");
  }
  if (failed) fail("leakcheck: %zu rounds failed to run\n", failed);
  keel::printf("leakcheck: %ld rounds, %zu counters above baseline\n", done, above);
  return failed || above || interrupted ? 1 : 0;
}

}  // namespace shell
