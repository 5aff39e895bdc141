#include "jobs.h"

#include <libk/format.h>

#include "console.h"
#include "number.h"
#include "programs.h"
#include "shell.h"
#include "status_words.h"

namespace shell::jobs {
namespace {

struct Job {
  keel_handle_t process;  // owned; KEEL_HANDLE_INVALID: a free slot
  keel_handle_t job;      // owned: the kernel job the command runs in
  uint64_t pid;
  char name[KEEL_NAME_MAX];
};
Job table[MAX_JOBS];  // table[i] is job %(i+1)

uint64_t pid_of(keel_handle_t process) {
  keel_object_info info;
  return keel::object_info(process, &info) == KEEL_OK ? info.koid : 0;
}

// Ends a command's job: closing its last handle kills whatever is left in
// it and returns once all of it is gone.
void end_job(keel_handle_t job) { keel::handle_close(job); }

// Waits for a foreground process; Ctrl-C kills its whole job. Consumes
// both handles.
int64_t wait_foreground(keel_handle_t process, keel_handle_t job, uint64_t pid, const char* name,
                        bool owns_console) {
  bool killed = false;
  for (;;) {
    int64_t code = 0;
    int64_t r = keel::process_wait(process, &code, owns_console ? KEEL_TIMEOUT_INFINITE : 20);
    if (r == KEEL_OK) {
      keel::handle_close(process);
      end_job(job);
      if (code != 0) {
        char words[48];
        keel::printf("[%lu] %s: %s\n", pid, name, exit_words(code, words, sizeof(words)));
      }
      return code;
    }
    if (r != ERR_TIMED_OUT) {
      keel::handle_close(process);
      end_job(job);
      return fail("%s: waiting for it: %s\n", name, error_phrase(r, Subject::Process));
    }
    // Type-ahead is kept for the next prompt; only Ctrl-C acts now.
    if (console::poll(20) && !killed) {
      keel::printf("^C\n");
      keel::job_kill(job);  // the program and everything it started
      killed = true;
    }
  }
}

Job* free_slot() {
  for (Job& j : table)
    if (j.process == KEEL_HANDLE_INVALID) return &j;
  return nullptr;
}

size_t number_of(const Job& j) { return static_cast<size_t>(&j - table) + 1; }

// What "%N" or a pid names: one of our jobs (by number, or by the pid of
// its first process), or another process in one of our jobs (*other, an
// owned process handle).
struct Target {
  Job* job = nullptr;
  keel_handle_t other = KEEL_HANDLE_INVALID;
  bool whole_job = false;  // %N
};
bool find(const char* cmd, const char* arg, Target* t) {
  libk::StringView s(arg);
  bool by_number = s.starts_with("%");
  int64_t n = 0;
  NumberError e = parse_int(by_number ? s.substr(1) : s, 1, INT64_MAX, &n);
  if (e != NumberError::None) {
    fail("%s: %s: not a job (%%N) or a process id\n", cmd, arg);
    return false;
  }
  t->whole_job = by_number;
  for (Job& j : table) {
    if (j.process == KEEL_HANDLE_INVALID) continue;
    if (by_number ? number_of(j) == static_cast<uint64_t>(n) : j.pid == static_cast<uint64_t>(n)) {
      t->job = &j;
      return true;
    }
  }
  if (!by_number) {  // a process one of our programs started
    for (Job& j : table)
      if (j.process != KEEL_HANDLE_INVALID &&
          keel::job_open(j.job, static_cast<uint64_t>(n), &t->other) == KEEL_OK)
        return true;
  }
  fail("%s: %s: not a job of this shell (see jobs)\n", cmd, arg);
  return false;
}
// Reports a job that ended and frees its slot.
void forget(Job& j, int64_t code) {
  char words[48];
  keel::printf("[%zu] %lu %s: done, %s\n", number_of(j), j.pid, j.name,
               exit_words(code, words, sizeof(words)));
  keel::handle_close(j.process);
  j.process = KEEL_HANDLE_INVALID;
  end_job(j.job);
}
}  // namespace

int64_t run(size_t argc, char** argv, bool background) {
  const char* name = argv[0];
  if (!is_program(libk::StringView(name)))
    return fail("%s: no such program (see programs)\n", name);
  if (!program_runnable(libk::StringView(name)))
    return fail("%s: cannot run from the shell: %s\n", name,
                program_summary(libk::StringView(name)));
  Job* slot = background ? free_slot() : nullptr;
  if (background && !slot)
    return fail("%s: too many background jobs (%zu); kill or wait for one first\n", name, MAX_JOBS);
  keel_handle_t job, h;
  int64_t r = keel::job_create(KEEL_HANDLE_INVALID, &LIMITS, &job);
  if (r < 0)
    return fail("%s: cannot make a job for it: %s\n", name, error_phrase(r, Subject::Other));
  r = keel::spawn(name, argv + 1, argc - 1, nullptr, 0, &h, job);
  if (r < 0) {
    end_job(job);
    return fail("%s: %s\n", name, error_phrase(r, Subject::Program));
  }
  uint64_t pid = pid_of(h);
  if (!background)
    return wait_foreground(h, job, pid, name, program_reads_console(libk::StringView(name)));
  slot->process = h;
  slot->job = job;
  slot->pid = pid;
  libk::format(slot->name, sizeof(slot->name), "%s", name);
  keel::printf("[%zu] %lu %s: running in the background\n", number_of(*slot), pid, name);
  return 0;
}

void reap() {
  for (Job& j : table) {
    if (j.process == KEEL_HANDLE_INVALID) continue;
    int64_t code;
    if (keel::process_wait(j.process, &code, 0) == KEEL_OK) forget(j, code);
  }
}

int64_t cmd_jobs(size_t, char**) {
  reap();
  size_t n = 0;
  for (Job& j : table) {
    if (j.process == KEEL_HANDLE_INVALID) continue;
    keel::printf("[%zu] %lu %s: running\n", number_of(j), j.pid, j.name);
    n++;
  }
  if (n == 0) keel::printf("no background jobs\n");
  return 0;
}

namespace {
// Kills a process inside one of our jobs that is not the job's first (a
// program's child); consumes the handle.
int64_t kill_other(const char* arg, keel_handle_t process) {
  int64_t code = 0;
  int64_t r = keel::process_kill(process);
  if (r == KEEL_OK) r = keel::process_wait(process, &code, keel::PATIENCE_MS);
  keel::handle_close(process);
  if (r < 0) return fail("kill: %s: %s\n", arg, error_phrase(r, Subject::Process));
  char words[48];
  keel::printf("%s: %s\n", arg, exit_words(code, words, sizeof(words)));
  return 0;
}
}  // namespace

int64_t cmd_kill(size_t argc, char** argv) {
  size_t first = 1;
  if (argc > 1 && argv[1][0] == '-' && argv[1][1] != '\0') {
    if (!libk::str_eq(argv[1], "-9") && !libk::str_eq(argv[1], "-KILL"))
      return fail("kill: %s: only -9 is supported (every kill is final)\n", argv[1]);
    first = 2;
  }
  if (first >= argc) return fail("usage: kill [-9] PID|%%N...\n");
  int64_t status = 0;
  for (size_t i = first; i < argc; i++) {
    Target t;
    if (!find("kill", argv[i], &t)) {
      status = 1;
      continue;
    }
    if (!t.job) {  // not a job's first process: that process alone
      status |= kill_other(argv[i], t.other);
      continue;
    }
    Job* j = t.job;
    // %N: the whole job (it returns once all of it is gone); a pid: that process.
    int64_t r = t.whole_job ? keel::job_kill(j->job) : keel::process_kill(j->process);
    if (r < 0) {
      status = fail("kill: %s: %s\n", argv[i], error_phrase(r, Subject::Process));
      continue;
    }
    // The killed task still has to reach its exit: wait for it, so the
    // kill is reported now and not at some later prompt.
    int64_t code = 0;
    r = keel::process_wait(j->process, &code, keel::PATIENCE_MS);
    if (r < 0) {
      status = fail("kill: %s: waiting for it: %s\n", argv[i], error_phrase(r, Subject::Process));
      continue;
    }
    forget(*j, code);
  }
  reap();
  return status;
}

int64_t cmd_wait(size_t argc, char** argv) {
  if (argc != 2) return fail("usage: wait PID|%%N\n");
  Target t;
  if (!find("wait", argv[1], &t)) return 1;
  if (!t.job) {
    keel::handle_close(t.other);
    return fail("wait: %s: not a job's first process (see jobs)\n", argv[1]);
  }
  Job* j = t.job;
  keel_handle_t h = j->process;
  j->process = KEEL_HANDLE_INVALID;
  int64_t code = wait_foreground(h, j->job, j->pid, j->name, false);
  if (code == 0) keel::printf("[%lu] %s: exit 0\n", j->pid, j->name);
  return code;
}

void kill_all() {
  for (Job& j : table) {
    if (j.process == KEEL_HANDLE_INVALID) continue;
    keel::handle_close(j.process);
    j.process = KEEL_HANDLE_INVALID;
    end_job(j.job);  // kills it: everything it started goes too
  }
}

}  // namespace shell::jobs
