// The programs the shell started: the foreground one and up to MAX_JOBS in
// the background. The shell holds each one's process handle (its only
// power over them: it can kill and wait for these and nothing else).
// Background jobs are numbered 1..MAX_JOBS for `kill %N` and `jobs`.
#pragma once
#include <libk/string.h>
#include <stddef.h>
#include <stdint.h>

namespace shell::jobs {

constexpr size_t MAX_JOBS = 32;

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
