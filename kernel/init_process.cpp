#include "init_process.h"

#include <libk/format.h>
#include <libk/string.h>

#include "audit.h"
#include "bootargs.h"
#include "dev/platform_exit.h"
#include "kstat.h"
#include "lib/kprintf.h"
#include "lib/panic.h"
#include "mm/fail_alloc.h"
#include "object/loader.h"
#include "object/process_directory.h"
#include "sched/sched.h"

namespace init_process {
namespace {
kstat::Snapshot baseline, after;
RefPtr<Process> init;  // the kernel's own handle on init: it reads the exit code

int watch(void*) {
  auto code = init->wait(0);
  fail_alloc::disarm();  // the check below must not fail on purpose
  int64_t status = code.ok() ? code.value() : -1;
  init.reset();  // the exit record goes too
  kstat::snapshot(after);
  size_t drift = kstat::for_each_drift(
      baseline, after,
      [](void*, const char* name, int64_t before, int64_t now) {
        kprintf("# kernel leak check: %s %ld -> %ld (%+ld)\n", name, before, now, now - before);
      },
      nullptr);
  kprintf("# init exited with status %ld; %zu kstat counters off their boot baseline\n", status,
          drift);
  size_t orphans = audit::run();
  platform_exit(status == 0 && drift == 0 && orphans == 0 ? EXIT_SUCCESS_CODE : EXIT_TEST_FAILED);
}
}  // namespace

void start() {
  static char name[KEEL_NAME_MAX];
  static char args[KEEL_SPAWN_MAX_ARGS_BYTES];
  if (!bootargs::get("init", name, sizeof(name))) libk::format(name, sizeof(name), "init");
  RefPtr<ProcessDirectory> dir = ProcessDirectory::instance();
  // The watcher exists before the baseline: it is still alive when it checks.
  auto watcher = Task::create("init-watch", watch, nullptr);
  if (watcher.is_error()) panic("no memory for the init watcher");
  kstat::snapshot(baseline);

  // argv: the name, then initargs split at commas.
  size_t len = 0;
  uint32_t argc = 0;
  for (const char* p = name; *p;) args[len++] = *p++;
  args[len++] = 0;
  argc++;
  static char extra[KEEL_SPAWN_MAX_ARGS_BYTES];
  if (bootargs::get("initargs", extra, sizeof(extra))) {
    for (const char* p = extra; *p && len < sizeof(args) - 2; p++) {
      if (*p == ',') {
        args[len++] = 0;
        argc++;
      } else {
        args[len++] = *p;
      }
    }
    args[len++] = 0;
    argc++;
  }

  auto loaded = loader::load(name, 0);
  if (loaded.is_error()) panic("cannot load init '%s': %s", name, keel_status_name(loaded.error()));
  init = loaded.release_value();
  auto h = init->handles().add(RefPtr<Object>(dir.get()), KEEL_RIGHTS_ALL);
  if (h.is_error()) panic("no memory for init's handles");
  keel_handle_t hv = h.value();
  if (loader::set_start(*init, args, len, argc, &hv, 1).is_error()) panic("init: bad stack");
  // failalloc= counts from here: init and what it does, not the boot.
  const char* why = nullptr;
  if (!fail_alloc::arm_from_bootargs(&why)) panic("bad boot argument: %s", why);
  init->start();
  sched::start(watcher.release_value());
}

}  // namespace init_process
