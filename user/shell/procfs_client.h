// The shell's view of procfs: ls, cat, ps, and the listings Tab completes.
// Every error reads in words (status_words.h).
#pragma once
#include <libk/string.h>
#include <stddef.h>
#include <stdint.h>

#include "line_editor.h"

namespace shell::proc {

int64_t cmd_ls(size_t argc, char** argv);
int64_t cmd_cat(size_t argc, char** argv);
int64_t cmd_ps(size_t argc, char** argv);
int64_t cmd_kstat(size_t argc, char** argv);
int64_t cmd_meminfo(size_t argc, char** argv);

// Prints the ps table (top uses it too); an error status, or KEEL_OK.
int64_t print_ps();
// Number of live processes, or a negative status.
int64_t count_processes();

// Adds every path under the directory part of `word` (e.g. "/proc/1" lists
// /proc) as a completion candidate.
void complete_path(libk::StringView word, Completions& out);

}  // namespace shell::proc
