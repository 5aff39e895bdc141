// top: the process table and memory, redrawn every second from procfs until
// Ctrl-C or q.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace shell {

int64_t cmd_top(size_t argc, char** argv);
// uptime: time since boot and the number of processes.
int64_t cmd_uptime(size_t argc, char** argv);
void print_uptime();

}  // namespace shell
