// The builtins: a table of name, usage, argument limits and handler. The
// table checks the argument count before any handler runs, so every
// builtin treats extra or missing arguments the same way: the usage line,
// status 1. `help` prints the table and the programs; Tab completes both.
#pragma once
#include <libk/string.h>
#include <stddef.h>
#include <stdint.h>

namespace shell {

struct Builtin {
  const char* name;
  const char* usage;           // "kill [-9] PID|%N..."
  const char* summary;         // one line for help
  uint8_t min_args, max_args;  // not counting the name; max 255: any number
  int64_t (*run)(size_t argc, char** argv);
};

const Builtin* find_builtin(libk::StringView name);
size_t builtin_count();
const Builtin& builtin(size_t i);

// Runs one command, builtin or program, and returns its status ($?).
int64_t run_command(size_t argc, char** argv, bool background);

}  // namespace shell
