#include "commands.h"

#include "history.h"
#include "jobs.h"
#include "leakcheck.h"
#include "procfs_client.h"
#include "programs.h"
#include "shell.h"
#include "status_words.h"
#include "top.h"

namespace shell {

History& history();
int64_t cmd_status(size_t argc, char** argv);

namespace {
constexpr uint8_t ANY = 255;

int64_t cmd_help(size_t argc, char** argv);

int64_t cmd_programs(size_t, char**) {
  for (size_t i = 0; i < program_count(); i++) {
    const char* name = program_name(i);
    const char* usage = program_usage(libk::StringView(name));
    keel::printf("  %-26s %s\n", *usage ? usage : name, program_summary(libk::StringView(name)));
  }
  return 0;
}

int64_t cmd_echo(size_t argc, char** argv) {
  for (size_t i = 1; i < argc; i++) keel::printf(i + 1 < argc ? "%s " : "%s", argv[i]);
  keel::printf("\n");
  return 0;
}

int64_t cmd_clear(size_t, char**) {
  keel::printf("\x1b[H\x1b[2J");
  return 0;
}

int64_t cmd_history(size_t, char**) {
  History& h = history();
  uint64_t first = h.total() - h.size() + 1;
  for (size_t age = h.size(); age-- > 0;) {
    libk::StringView line = h.get(age);
    keel::printf("%5lu  %.*s\n", first++, static_cast<int>(line.size()), line.data());
  }
  return 0;
}

int64_t cmd_spawn(size_t argc, char** argv) { return run_command(argc - 1, argv + 1, false); }

int64_t cmd_time(size_t argc, char** argv) {
  uint64_t t0 = keel::clock_ms(), i0 = instructions();
  int64_t status = run_command(argc - 1, argv + 1, false);
  uint64_t i1 = instructions(), t1 = keel::clock_ms();
  keel::printf("time: %lu.%03lu s wall, %lu instructions (this hart, kernel included)\n",
               (t1 - t0) / 1000, (t1 - t0) % 1000, i1 - i0);
  return status;
}

int64_t cmd_poweroff(size_t, char**) {
  jobs::kill_all();
  keel::flush();
  int64_t r = keel::poweroff(power, 0);
  return fail("poweroff: %s\n", error_phrase(r, Subject::Other));
}

constexpr Builtin BUILTINS[] = {
    {"help", "help", "this list", 0, 0, cmd_help},
    {"programs", "programs", "every program in the boot image (run one by its name)", 0, 0,
     cmd_programs},
    {"ps", "ps", "processes (from procfs)", 0, 0, proc::cmd_ps},
    {"top", "top", "ps and memory, refreshed every second; Ctrl-C or q leaves", 0, 0, cmd_top},
    {"ls", "ls [PATH...]", "list a procfs directory (default /proc)", 0, ANY, proc::cmd_ls},
    {"cat", "cat PATH...", "print a procfs file, e.g. cat /proc/1/status", 1, ANY, proc::cmd_cat},
    {"spawn", "spawn PROG [ARGS...] [&]", "run a program (typing its name does the same)", 1, ANY,
     cmd_spawn},
    {"jobs", "jobs", "the background jobs of this shell", 0, 0, jobs::cmd_jobs},
    {"kill", "kill [-9] PID|%N...", "kill a job of this shell", 1, ANY, jobs::cmd_kill},
    {"wait", "wait PID|%N", "wait for a background job (Ctrl-C kills it)", 1, 1, jobs::cmd_wait},
    {"time", "time CMD [ARGS...]", "run a command; print wall time and instructions", 1, ANY,
     cmd_time},
    {"kstat", "kstat", "kernel counters", 0, 0, proc::cmd_kstat},
    {"meminfo", "meminfo", "memory summary", 0, 0, proc::cmd_meminfo},
    {"uptime", "uptime", "time since boot, number of processes", 0, 0, cmd_uptime},
    {"leakcheck", "leakcheck N",
     "N rounds of spawn, procfs reads and exit; counter deltas (Ctrl-C stops)", 1, 1,
     cmd_leakcheck},
    {"history", "history", "the lines entered (Up/Down recall them)", 0, 0, cmd_history},
    {"status", "status", "how many commands failed so far, and $?", 0, 0, cmd_status},
    {"echo", "echo [ARGS...]", "print the arguments ($? is the last status)", 0, ANY, cmd_echo},
    {"clear", "clear", "clear the screen (Ctrl-L too)", 0, 0, cmd_clear},
    {"poweroff", "poweroff", "stop the machine", 0, 0, cmd_poweroff},
};
constexpr size_t COUNT = sizeof(BUILTINS) / sizeof(BUILTINS[0]);

int64_t cmd_help(size_t, char**) {
  keel::printf("commands:\n");
  for (const Builtin& b : BUILTINS) keel::printf("  %-26s %s\n", b.usage, b.summary);
  keel::printf("programs (type the name to run one; a final & runs it in the background):\n");
  cmd_programs(0, nullptr);
  keel::printf(
      "lines: ';' separates commands, '#' starts a comment, $? is the last status.\n"
      "keys: Up/Down history, Left/Right, Home/End, Ctrl-A/E/U/W/K/L, Tab completes,\n"
      "      Ctrl-C cancels the line or stops the program, Ctrl-D on an empty line exits.\n");
  return 0;
}
}  // namespace

const Builtin* find_builtin(libk::StringView name) {
  for (const Builtin& b : BUILTINS)
    if (name == libk::StringView(b.name)) return &b;
  return nullptr;
}
size_t builtin_count() { return COUNT; }
const Builtin& builtin(size_t i) { return BUILTINS[i]; }

int64_t run_command(size_t argc, char** argv, bool background) {
  const Builtin* b = find_builtin(libk::StringView(argv[0]));
  if (!b) {
    if (is_program(libk::StringView(argv[0]))) return jobs::run(argc, argv, background);
    return fail("%s: unknown command (help lists commands and programs)\n", argv[0]);
  }
  if (background && b->run != cmd_spawn)
    return fail("%s: a builtin cannot run in the background\n", argv[0]);
  if (b->run == cmd_spawn)
    return argc < 2 ? fail("usage: %s\n", b->usage) : run_command(argc - 1, argv + 1, background);
  size_t args = argc - 1;
  if (args < b->min_args || (b->max_args != ANY && args > b->max_args))
    return fail("usage: %s\n", b->usage);
  return b->run(argc, argv);
}

}  // namespace shell
