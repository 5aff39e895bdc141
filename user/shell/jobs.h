// The programs the shell started: the foreground one and up to MAX_JOBS in
// the background. Each command runs in a kernel job of its own (under the
// shell's job), with a quota (LIMITS), so whatever it spawns stays in it:
// Ctrl-C and `kill %N` kill the whole job, `kill PID` any process in one of
// our jobs, and when the command's first process ends (or the shell exits)
// the job goes with it. The shell holds each job's handle and its first
// process's handle: its only power over them.
// Background jobs are numbered 1..MAX_JOBS for `kill %N` and `jobs`.
#pragma once
#include <keel/syscall.h>
#include <libk/string.h>
#include <stddef.h>
#include <stdint.h>

namespace shell::jobs {

constexpr size_t MAX_JOBS = 32;
// Each command's quota: enough for every program in the boot image (the
// leak workload peaks near 40 processes), small enough that a fork bomb
// leaves the system to everyone else.
constexpr keel_job_limits LIMITS = {256, 16384, 16384};

// Runs program argv[0] with argv[1..argc). In the foreground it waits, the
// console's type-ahead kept and Ctrl-C killing the program, and returns its
// exit status (after printing it in words when it is not 0); in the
// background it returns 0 once the job is started. 1 (after a message) if
// it could not start.
int64_t run(size_t argc, char** argv, bool background);

// Reports and forgets background jobs that have ended.
void reap();

// The builtins on jobs.
int64_t cmd_jobs(size_t argc, char** argv);
int64_t cmd_kill(size_t argc, char** argv);
int64_t cmd_wait(size_t argc, char** argv);

// Kills every job (the shell is about to exit).
void kill_all();

}  // namespace shell::jobs
