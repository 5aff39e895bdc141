// The Keel shell. Startup handles: 0 = a client endpoint of procfs,
// 1 = the process directory with POWER only. Everything it shows about
// processes comes from procfs (ps, ls, cat); it can kill and wait only for
// the processes it started itself (it holds their handles), which is the
// capability model at work rather than a limitation to hide.
#include <libk/format.h>
#include <libk/string.h>

#include "keel.h"
#include "console.h"
#include "line_editor.h"
#include <procfs/protocol.h>

namespace {

keel_handle_t procfs_service, power;
constexpr size_t LINE_MAX = 200;
constexpr size_t MAX_ARGS = 16;

// ---------- background jobs ----------
struct Job {
  uint64_t pid;
  keel_handle_t process;  // KEEL_HANDLE_INVALID: free slot
  char name[KEEL_NAME_MAX];
};
Job jobs[32];

Job* find_job(uint64_t pid) {
  for (Job& j : jobs)
    if (j.process != KEEL_HANDLE_INVALID && j.pid == pid) return &j;
  return nullptr;
}

uint64_t pid_of(keel_handle_t process) {
  keel_object_info info;
  return keel::object_info(process, &info) == KEEL_OK ? info.koid : 0;
}

// Report and forget background jobs that have finished.
void reap_jobs() {
  for (Job& j : jobs) {
    if (j.process == KEEL_HANDLE_INVALID) continue;
    int64_t code;
    if (keel::process_wait(j.process, &code, 0) == KEEL_OK) {
      keel::printf("[%lu] %s: done, exit code %ld\n", j.pid, j.name, code);
      j.process = KEEL_HANDLE_INVALID;
    }
  }
}

// Wait for a process; Ctrl-C kills it. Consumes the handle either way.
void wait_foreground(keel_handle_t process, uint64_t pid, const char* name) {
  for (;;) {
    int64_t code;
    int64_t r = keel::process_wait(process, &code, 50);
    if (r == KEEL_OK) {
      keel::printf("[%lu] %s: exit code %ld\n", pid, name, code);
      return;
    }
    if (r != ERR_TIMED_OUT) {
      keel::printf("wait: %s\n", keel_status_name(static_cast<int32_t>(r)));
      keel::handle_close(process);
      return;
    }
    char c[16];
    size_t n = 0;
    if (keel::debug_read(c, sizeof(c), &n, 0) == KEEL_OK) {
      for (size_t i = 0; i < n; i++) {
        if (c[i] == 0x03) {
          keel::printf("^C\n");
          keel::process_kill(process);
        }
      }
    }
  }
}

uint64_t parse_u64(const char* s, bool* ok) {
  uint64_t v = 0;
  *ok = *s != 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') {
      *ok = false;
      return 0;
    }
    v = v * 10 + static_cast<uint64_t>(*s - '0');
  }
  return v;
}

// ---------- procfs ----------
char file_buf[procfs::DATA_MAX + 1];

int64_t procfs_get(procfs::Op op, const char* path, size_t* len) {
  return procfs::request(procfs_service, op, path, file_buf, sizeof(file_buf) - 1, len);
}

void print_error(const char* cmd, const char* path, int64_t r) {
  const char* why = r == ERR_NOT_FOUND      ? "no such file or directory"
                    : r == ERR_INVALID_ARGS ? "not the right kind of entry"
                                            : keel_status_name(static_cast<int32_t>(r));
  keel::printf("%s: %s: %s\n", cmd, path, why);
}

void cmd_ls(const char* path) {
  size_t len;
  int64_t r = procfs_get(procfs::OP_LIST, path, &len);
  if (r != KEEL_OK) return print_error("ls", path, r);
  keel::debug_write(file_buf, len);
}

void cmd_cat(const char* cmd, const char* path) {
  size_t len;
  int64_t r = procfs_get(procfs::OP_READ, path, &len);
  if (r != KEEL_OK) return print_error(cmd, path, r);
  keel::debug_write(file_buf, len);
}

// Value of "Key: value" in a status file.
libk::StringView field(const char* text, const char* key) {
  libk::StringView rest(text);
  while (!rest.empty()) {
    libk::StringView line = libk::next_token(rest, '\n');
    if (line.starts_with(key) && line.size() > strlen(key) + 1 &&
        line[strlen(key)] == ':')
      return line.substr(strlen(key) + 2);
  }
  return libk::StringView("?");
}

void cmd_ps() {
  static char listing[procfs::DATA_MAX + 1];
  size_t len;
  int64_t r = procfs::request(procfs_service, procfs::OP_LIST, "/proc", listing,
                              sizeof(listing) - 1, &len);
  if (r != KEEL_OK) return print_error("ps", "/proc", r);
  keel::printf("%5s %5s %-8s %5s %6s %7s  %s\n", "PID", "PPID", "STATE", "TASKS", "PAGES",
               "HANDLES", "NAME");
  libk::StringView rest(listing, len);
  while (!rest.empty()) {
    libk::StringView entry = libk::next_token(rest, '\n');
    if (entry.empty() || entry[0] < '0' || entry[0] > '9') continue;
    char path[64];
    libk::format(path, sizeof(path), "/proc/%.*s/status", static_cast<int>(entry.size()),
                 entry.data());
    size_t n;
    if (procfs_get(procfs::OP_READ, path, &n) != KEEL_OK) continue;  // exited meanwhile
    auto f = [](const char* key) { return field(file_buf, key); };
    libk::StringView pid = f("Pid"), ppid = f("PPid"), state = f("State"), tasks = f("Tasks"),
                     pages = f("Pages"), handles = f("Handles"), name = f("Name");
    keel::printf("%5.*s %5.*s %-8.*s %5.*s %6.*s %7.*s  %.*s\n", (int)pid.size(), pid.data(),
                 (int)ppid.size(), ppid.data(), (int)state.size(), state.data(),
                 (int)tasks.size(), tasks.data(), (int)pages.size(), pages.data(),
                 (int)handles.size(), handles.data(), (int)name.size(), name.data());
  }
}

// ---------- spawn / kill / wait ----------
void cmd_spawn(char** argv, size_t argc) {
  bool background = argc > 1 && libk::str_eq(argv[argc - 1], "&");
  if (background) argc--;
  if (argc < 2) {
    keel::printf("usage: spawn PROGRAM [ARGS...] [&]\n");
    return;
  }
  keel_handle_t h;
  int64_t r = keel::spawn(argv[1], argv + 2, argc - 2, nullptr, 0, &h);
  if (r < 0) {
    keel::printf("spawn: %s: %s\n", argv[1],
                 r == ERR_NOT_FOUND ? "no such program" : keel_status_name(static_cast<int32_t>(r)));
    return;
  }
  uint64_t pid = pid_of(h);
  if (!background) return wait_foreground(h, pid, argv[1]);
  for (Job& j : jobs) {
    if (j.process != KEEL_HANDLE_INVALID) continue;
    j.process = h;
    j.pid = pid;
    libk::format(j.name, sizeof(j.name), "%s", argv[1]);
    keel::printf("[%lu] %s: running in the background\n", pid, argv[1]);
    return;
  }
  keel::printf("spawn: too many background jobs; waiting for this one instead\n");
  wait_foreground(h, pid, argv[1]);
}

Job* job_arg(const char* cmd, char** argv, size_t argc) {
  bool ok = argc == 2;
  uint64_t pid = ok ? parse_u64(argv[1], &ok) : 0;
  if (!ok) {
    keel::printf("usage: %s PID\n", cmd);
    return nullptr;
  }
  Job* j = find_job(pid);
  if (!j) keel::printf("%s: %lu: not a background job of this shell\n", cmd, pid);
  return j;
}

void cmd_kill(char** argv, size_t argc) {
  Job* j = job_arg("kill", argv, argc);
  if (!j) return;
  int64_t r = keel::process_kill(j->process);
  if (r < 0) keel::printf("kill: %s\n", keel_status_name(static_cast<int32_t>(r)));
  else keel::printf("[%lu] %s: killed\n", j->pid, j->name);
}

void cmd_wait(char** argv, size_t argc) {
  Job* j = job_arg("wait", argv, argc);
  if (!j) return;
  keel_handle_t h = j->process;
  j->process = KEEL_HANDLE_INVALID;
  wait_foreground(h, j->pid, j->name);
}

// ---------- leakcheck ----------
keel::KstatSnapshot leak_before, leak_after;

bool leak_round() {
  keel_handle_t ctl, child_end, child;
  if (keel::channel_create(&ctl, &child_end) < 0) return false;
  const char* args[] = {"2"};
  if (keel::spawn("holder", args, 1, &child_end, 1, &child) < 0) {
    keel::handle_close(ctl);
    keel::handle_close(child_end);
    return false;
  }
  char buf[8];
  size_t n;
  bool ok = keel::read_message(ctl, buf, sizeof(buf), &n, nullptr, 0, nullptr, keel::PATIENCE_MS) == KEEL_OK;
  size_t len;
  ok &= procfs_get(procfs::OP_LIST, "/proc", &len) == KEEL_OK;
  char path[64];
  libk::format(path, sizeof(path), "/proc/%lu/status", pid_of(child));
  ok &= procfs_get(procfs::OP_READ, path, &len) == KEEL_OK;
  keel::handle_close(ctl);  // the holder's read sees the peer closed and it exits
  int64_t code;
  ok &= keel::process_wait(child, &code, keel::PATIENCE_MS) == KEEL_OK && code == 0;
  return ok;
}

void cmd_leakcheck(char** argv, size_t argc) {
  bool ok = argc == 2;
  uint64_t rounds = ok ? parse_u64(argv[1], &ok) : 0;
  if (!ok || rounds == 0 || rounds > 1000000) {
    keel::printf("usage: leakcheck N   (1 <= N <= 1000000)\n");
    return;
  }
  leak_round();  // warm up: the shell's own heap and procfs's first answers
  size_t len;
  procfs_get(procfs::OP_LIST, "/proc", &len);
  keel::kstat_snapshot(leak_before);
  size_t failed = 0;
  for (uint64_t i = 0; i < rounds; i++) {
    if (!leak_round()) failed++;
    if ((i + 1) % 100 == 0 && i + 1 < rounds) keel::printf("leakcheck: %lu/%lu\n", i + 1, rounds);
  }
  procfs_get(procfs::OP_LIST, "/proc", &len);  // procfs drops what was revoked
  keel::kstat_snapshot(leak_after);
  size_t above = 0;
  for (size_t i = 0; i < leak_after.count; i++) {
    int64_t before = 0;
    keel::kstat_value(leak_before, leak_after.names[i], &before);
    int64_t delta = leak_after.values[i] - before;
    bool leaked = keel::kstat_leaked(leak_after.names[i], before, leak_after.values[i]);
    if (leaked) above++;
    keel::printf("  %-26s %10ld  %+ld%s\n", leak_after.names[i], leak_after.values[i], delta,
                 leaked ? "  <-- above baseline" : "");
  }
  if (failed) keel::printf("leakcheck: %zu rounds failed to run\n", failed);
  keel::printf("leakcheck: %lu rounds, %zu counters above baseline\n", rounds, above);
}

// ---------- the loop ----------
void cmd_help() {
  keel::printf(
      "commands:\n"
      "  help                    this list\n"
      "  ps                      processes (from procfs)\n"
      "  ls PATH                 list a procfs directory, e.g. ls /proc\n"
      "  cat PATH                print a procfs file, e.g. cat /proc/1/status\n"
      "  spawn PROG [ARGS] [&]   run a program; & runs it in the background\n"
      "  kill PID                kill a background job\n"
      "  wait PID                wait for a background job (Ctrl-C kills it)\n"
      "  kstat                   kernel counters\n"
      "  meminfo                 memory summary\n"
      "  leakcheck N             N rounds of spawn+exit+procfs reads, then counter deltas\n"
      "  echo ARGS               print the arguments\n"
      "  poweroff                stop the machine\n"
      "programs: hello, exitcode N, spin, sleeper MS, ipc-echo [N], holder N, faulter\n");
}

void run(char* line) {
  char* argv[MAX_ARGS + 1];
  size_t argc = 0;
  for (char* p = line; *p;) {
    while (*p == ' ') *p++ = 0;
    if (!*p) break;
    if (argc == MAX_ARGS) {
      keel::printf("shell: too many arguments (at most %zu)\n", MAX_ARGS);
      return;
    }
    argv[argc++] = p;
    while (*p && *p != ' ') p++;
  }
  argv[argc] = nullptr;
  if (argc == 0) return;
  const char* c = argv[0];
  if (libk::str_eq(c, "help")) cmd_help();
  else if (libk::str_eq(c, "ps")) cmd_ps();
  else if (libk::str_eq(c, "ls")) argc == 2 ? cmd_ls(argv[1]) : (void)keel::printf("usage: ls PATH\n");
  else if (libk::str_eq(c, "cat")) argc == 2 ? cmd_cat("cat", argv[1]) : (void)keel::printf("usage: cat PATH\n");
  else if (libk::str_eq(c, "spawn")) cmd_spawn(argv, argc);
  else if (libk::str_eq(c, "kill")) cmd_kill(argv, argc);
  else if (libk::str_eq(c, "wait")) cmd_wait(argv, argc);
  else if (libk::str_eq(c, "kstat")) cmd_cat("kstat", "/proc/kstat");
  else if (libk::str_eq(c, "meminfo")) cmd_cat("meminfo", "/proc/meminfo");
  else if (libk::str_eq(c, "leakcheck")) cmd_leakcheck(argv, argc);
  else if (libk::str_eq(c, "echo")) {
    for (size_t i = 1; i < argc; i++) keel::printf(i + 1 < argc ? "%s " : "%s", argv[i]);
    keel::printf("\n");
  } else if (libk::str_eq(c, "poweroff")) {
    keel::flush();
    int64_t r = keel::poweroff(power, 0);
    keel::printf("poweroff: %s\n", keel_status_name(static_cast<int32_t>(r)));
  } else {
    keel::printf("unknown command: %s (try help)\n", c);
  }
}
}  // namespace

int main(int, char**) {
  procfs_service = keel::startup_handle(0);
  power = keel::startup_handle(1);
  keel::printf("Keel shell. Type 'help' for commands.\n");
  static char line[LINE_MAX];
  static shell::History history;
  shell::LineEditor editor(shell::console::output(), &history, shell::Completer{nullptr, nullptr}, 80);
  for (;;) {
    reap_jobs();
    shell::LineEditor::Event e = shell::console::read_line(editor, "keel> ");
    switch (e) {
      case shell::LineEditor::Event::EndOfInput:
        keel::printf("\n");
        return 0;
      case shell::LineEditor::Event::Cancelled:
      case shell::LineEditor::Event::None:
        continue;
      case shell::LineEditor::Event::TooLong:
        keel::printf("shell: line too long (at most %zu characters)\n", shell::LineEditor::LINE_CAP);
        continue;
      case shell::LineEditor::Event::Line: {
        libk::StringView l = editor.line();
        size_t n = l.size() < LINE_MAX - 1 ? l.size() : LINE_MAX - 1;
        memcpy(line, l.data(), n);
        line[n] = 0;
        run(line);
        break;
      }
    }
  }
}
