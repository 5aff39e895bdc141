#include "init_process.h"

#include <libk/format.h>
#include <libk/string.h>

#include "bootargs.h"
#include "dev/platform_exit.h"
#include "lib/kprintf.h"
#include "lib/panic.h"
#include "mm/fail_alloc.h"
#include "mm/kstat.h"
#include "object/audit.h"
#include "object/job.h"
#include "object/loader.h"
#include "object/process_directory.h"
#include "sched/sched.h"

namespace init_process {
namespace {
kstat::Snapshot baseline, after;
RefPtr<Process> init;  // the kernel's own handle on init: it reads the exit code

int watch(void*) {
  auto code = init->wait(Deadline::never());
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

// init's argv, from the boot arguments: the program's name (init=, default
// "init"), then initargs= split at commas. Everything is checked before
// anything is built: a value too long, more than the ABI's argument limits
// (the same ones process_spawn enforces), or a program that is not in the
// boot image stops the boot with a sentence, never a silent default.
struct InitArgv {
  char name[KEEL_NAME_MAX];
  char block[KEEL_SPAWN_MAX_ARGS_BYTES];  // the strings, each NUL-terminated
  size_t len;
  uint32_t argc;
};

void decode_init_argv(InitArgv& out) {
  if (!bootargs::get_or_stop("init", out.name, sizeof(out.name)))
    libk::format(out.name, sizeof(out.name), "init");
  // initargs may be as long as the whole block; whether it fits next to
  // the name is the byte limit's question, asked below.
  static char extra[KEEL_SPAWN_MAX_ARGS_BYTES];
  bool has_extra = bootargs::get_or_stop("initargs", extra, sizeof(extra));

  size_t name_len = libk::cstr_len(out.name);
  size_t extra_len = has_extra ? libk::cstr_len(extra) : 0;
  uint64_t argc = 1;
  uint64_t bytes = name_len + 1;
  if (has_extra) {
    argc++;  // commas become NULs: one more argument per comma
    for (size_t i = 0; i < extra_len; i++) argc += extra[i] == ',';
    bytes += extra_len + 1;
  }
  if (argc > KEEL_SPAWN_MAX_ARGS)
    bootargs::stop("init would get %lu arguments (at most KEEL_SPAWN_MAX_ARGS, %u)", argc,
                   KEEL_SPAWN_MAX_ARGS);
  if (bytes > KEEL_SPAWN_MAX_ARGS_BYTES)
    bootargs::stop("init would get %lu bytes of arguments (at most KEEL_SPAWN_MAX_ARGS_BYTES, %u)",
                   bytes, KEEL_SPAWN_MAX_ARGS_BYTES);

  size_t len = 0;
  for (size_t i = 0; i <= name_len; i++) out.block[len++] = out.name[i];
  for (size_t i = 0; has_extra && i <= extra_len; i++)
    out.block[len++] = extra[i] == ',' ? 0 : extra[i];
  out.len = len;
  out.argc = static_cast<uint32_t>(argc);

  if (loader::image() == nullptr || loader::image()->find(out.name).is_error())
    bootargs::stop("init program '%s' is not in the boot image", out.name);
}
}  // namespace

void start() {
  static InitArgv argv;
  decode_init_argv(argv);
  RefPtr<ProcessDirectory> dir = ProcessDirectory::instance();
  // The watcher exists before the baseline: it is still alive when it checks.
  auto watcher = Task::create("init-watch", watch, nullptr);
  if (watcher.is_error()) panic("no memory for the init watcher");
  kstat::snapshot(baseline);

  auto loaded = loader::load(argv.name, 0);
  if (loaded.is_error())
    bootargs::stop("cannot load init program '%s': %s", argv.name,
                   keel_status_name(loaded.error()));
  init = loaded.release_value();
  // Startup handles: the process directory, every right; the root job.
  auto root = JobObject::create(RefPtr<Job>(&Job::root()));
  if (root.is_error()) panic("no memory for init's handles");
  auto h = init->handles().add(RefPtr<Object>(dir.get()), KEEL_RIGHTS_ALL);
  auto j = init->handles().add(root.release_value(), KEEL_JOB_RIGHTS);
  if (h.is_error() || j.is_error()) panic("no memory for init's handles");
  keel_handle_t hv[] = {h.value(), j.value()};
  if (loader::set_start(*init, argv.block, argv.len, argv.argc, hv, 2).is_error())
    panic("init: bad stack");
  // failalloc= counts from here: init and what it does, not the boot.
  static char failalloc[48];
  const char* why = nullptr;
  if (bootargs::get_or_stop("failalloc", failalloc, sizeof(failalloc)) &&
      !fail_alloc::arm_from_spec(failalloc, &why))
    bootargs::stop("boot argument 'failalloc': %s", why);
  // The watcher is queued before init: this code runs as the idle task, so
  // once init is runnable a tick can switch away from here until the
  // system is idle, and a watcher started after it would sit meanwhile
  // created but owned by no queue (the audit saw it as an orphan task).
  sched::start(watcher.release_value());
  init->start();
}

}  // namespace init_process
