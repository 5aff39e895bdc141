#include "programs.h"

#include "program_list.h"

namespace shell {
namespace {
using libk::StringView;

struct Description {
  const char* name;
  const char* usage;
  const char* summary;
};

constexpr Description DESCRIPTIONS[] = {
    {"hello", "hello", "prints a greeting"},
    {"exitcode", "exitcode [N]", "exits with status N (default 0)"},
    {"spin", "spin", "a busy loop that never ends by itself (Ctrl-C or kill)"},
    {"forkbomb", "forkbomb",
     "spawns itself for ever; its job's quota contains it (Ctrl-C or kill %N ends it)"},
    {"sleeper", "sleeper [MS]", "sleeps MS milliseconds (default 1000), then exits 0"},
    {"ipc-echo", "ipc-echo [N]", "N round trips with an echo server it starts (default 10)"},
    {"holder", "holder [N]", "creates N handles and holds them until killed (default 1000)"},
    {"faulter", "faulter", "touches an unmapped address: the kernel kills it (fault)"},
    {"bench", "bench", "instructions and time per operation (exact only under -icount)"},
    {"leakstress", "leakstress [ROUNDS [SEED]]",
     "the randomised leak workload of scripts/leakcheck"},
    {"init", "init", "the first process (needs the process directory: not for the shell)"},
    {"procfs", "procfs", "the /proc server (needs its endpoints: not for the shell)"},
    {"shell", "shell", "a nested shell (no procfs, no power); exit or Ctrl-D returns"},
    {"caller", "caller", "test helper: a channel call nobody answers"},
    {"chain", "chain N", "test helper: a chain N deep of channels nested in messages"},
    {"spawner", "spawner wait|orphan MS", "test helper: spawns a sleeper, then waits or leaves"},
    {"tasks", "tasks states|last|exit|fault",
     "test helper: a process of several tasks (see utest-tasks)"},
    {"fuzz", "fuzz",
     "the syscall fuzzer of scripts/fuzz (needs init's endpoints: not for the shell)"},
};

constexpr bool in_boot_image(const char* name) {
  for (const char* p : BOOT_IMAGE_PROGRAMS)
    if (libk::str_eq(p, name)) return true;
  return false;
}
constexpr bool every_description_names_a_program() {
  for (const Description& d : DESCRIPTIONS)
    if (!in_boot_image(d.name)) return false;
  return true;
}
static_assert(every_description_names_a_program(),
              "a description in programs.cpp names no program of user/meson.build");

constexpr size_t COUNT = sizeof(BOOT_IMAGE_PROGRAMS) / sizeof(BOOT_IMAGE_PROGRAMS[0]);

bool before(const char* a, const char* b) {
  while (*a && *a == *b) a++, b++;
  return static_cast<unsigned char>(*a) < static_cast<unsigned char>(*b);
}

// Indexes into BOOT_IMAGE_PROGRAMS in alphabetical order, sorted on first
// use (user space runs no constructors).
size_t order[COUNT];
bool sorted;

void sort_once() {
  if (sorted) return;
  for (size_t i = 0; i < COUNT; i++) {
    size_t j = i;
    for (; j > 0 && before(BOOT_IMAGE_PROGRAMS[i], BOOT_IMAGE_PROGRAMS[order[j - 1]]); j--)
      order[j] = order[j - 1];
    order[j] = i;
  }
  sorted = true;
}

const Description* describe(StringView name) {
  for (const Description& d : DESCRIPTIONS)
    if (name == StringView(d.name)) return &d;
  return nullptr;
}
}  // namespace

size_t program_count() { return COUNT; }

const char* program_name(size_t i) {
  sort_once();
  return BOOT_IMAGE_PROGRAMS[order[i]];
}

bool is_program(StringView name) {
  for (const char* p : BOOT_IMAGE_PROGRAMS)
    if (name == StringView(p)) return true;
  return false;
}

const char* program_usage(StringView name) {
  const Description* d = describe(name);
  return d ? d->usage : "";
}

const char* program_summary(StringView name) {
  if (const Description* d = describe(name)) return d->summary;
  return name.starts_with("utest-") ? "a user test program (TAP output)" : "";
}

bool program_reads_console(StringView name) { return name == StringView("shell"); }

bool program_runnable(StringView name) {
  return name != StringView("init") && name != StringView("procfs");
}

}  // namespace shell
