// leakcheck N: N rounds of spawn + procfs reads + exit, then every kernel
// counter against its value before the rounds. Ctrl-C stops it between
// rounds (the comparison still runs on what was done).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace shell {

int64_t cmd_leakcheck(size_t argc, char** argv);

}  // namespace shell
