// What the parts of the shell share: its two startup handles and the one
// way to report an error. Every error a command prints goes through fail(),
// so every failure also sets $? and counts for `status` (what
// scripts/console reads in piped mode to decide its exit status).
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "keel.h"

namespace shell {

extern keel_handle_t procfs_service;  // client endpoint of procfs (may be invalid)
extern keel_handle_t power;           // the process directory with POWER only (may be invalid)

// Prints the message (a line: "cmd: what: why") and returns 1, the status
// of a failed command.
__attribute__((format(printf, 1, 2))) int64_t fail(const char* fmt, ...);
// A line that runs nothing (too long): the message, $? = 1, one failure.
void refuse_line(const char* fmt, size_t n);

// Instructions retired on this hart (rdinstret; exact under -icount).
inline uint64_t instructions() {
  uint64_t v;
  asm volatile("rdinstret %0" : "=r"(v));
  return v;
}

}  // namespace shell
