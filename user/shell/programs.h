// The programs in the boot image, as the shell knows them: a word that is
// not a builtin runs the program of that name, `programs` lists them all,
// Tab completes them. The names come from the build (program_list.h,
// generated from user/meson.build), so none can be missing; the one-line
// descriptions here are checked at compile time to name real programs.
#pragma once
#include <libk/string.h>
#include <stddef.h>

namespace shell {

size_t program_count();
// The i-th program in alphabetical order.
const char* program_name(size_t i);
bool is_program(libk::StringView name);
// "exitcode N" and "exits with status N (default 0)"; both "" if unknown.
const char* program_usage(libk::StringView name);
const char* program_summary(libk::StringView name);
// A program that reads the console itself (a nested shell): while it runs
// in the foreground the shell leaves the console to it, so Ctrl-C and
// type-ahead are its own.
bool program_reads_console(libk::StringView name);
// False for init and procfs: they need startup handles the shell does not
// have, and would wait for them forever.
bool program_runnable(libk::StringView name);

}  // namespace shell
