// Syscalls about time, the console, counters and the end of a process.
#include <libk/format.h>

#include "audit.h"
#include "object/console.h"
#include "dev/platform_exit.h"
#include "kstat.h"
#include "lib/kprintf.h"
#include "mm/fail_alloc.h"
#include "sched/scratch.h"
#include "mm/user_copy.h"
#include "sched/sched.h"
#include "syscall.h"

namespace syscall {

int64_t sys_null(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  return KEEL_OK;
}

// The process ends: every task is asked to stop, this one included; the
// return-to-user path then takes this task out, and the last task out tears
// the process down.
int64_t sys_exit(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  current_process().kill(static_cast<int64_t>(a0));
  return KEEL_OK;
}

int64_t sys_yield(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  sched::yield();
  return KEEL_OK;
}

int64_t sys_sleep_ms(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  if (a0 == KEEL_TIMEOUT_INFINITE) return ERR_INVALID_ARGS;
  uint64_t deadline = deadline_from_ms(a0);
  if (deadline == 0) return KEEL_OK;
  return status(sched::sleep_until(deadline));
}

int64_t sys_clock_ms(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  return status(user::write<uint64_t>(a0, ms_since_boot()));
}

int64_t sys_debug_write(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  uintptr_t buf = a0;
  size_t len = a1;
  if (len > KEEL_CHANNEL_MAX_BYTES) return ERR_OUT_OF_RANGE;
  if (!user::range_ok(buf, len)) return ERR_INVALID_ARGS;
  char chunk[256];
  for (size_t off = 0; off < len; off += sizeof(chunk)) {
    size_t n = len - off < sizeof(chunk) ? len - off : sizeof(chunk);
    auto r = user::copy_in(chunk, buf + off, n);
    if (r.is_error()) return r.error();
    for (size_t i = 0; i < n; i++) kputc(chunk[i]);
  }
  return KEEL_OK;
}

int64_t sys_debug_read(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  uintptr_t buf = a0, actual = a2;
  size_t cap = a1 < 256 ? a1 : 256;
  if (!user::range_ok(buf, a1) || a1 == 0) return ERR_INVALID_ARGS;
  // Both out pointers writable before any input is taken: a bad one loses none.
  if (actual % alignof(size_t) || !user::writable(actual, sizeof(size_t)) || !user::writable(buf, cap))
    return ERR_INVALID_ARGS;
  char tmp[256];
  auto n = console::read(tmp, cap, deadline_from_ms(a3));
  if (n.is_error()) return n.error();
  auto r = user::copy_out(buf, tmp, n.value());
  if (r.is_error()) return r.error();
  return status(user::write<size_t>(actual, n.value()));
}

int64_t sys_kstat_read(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  uintptr_t buf = a0, actual = a2;
  size_t cap = a1;
  if (!user::range_ok(buf, cap)) return ERR_INVALID_ARGS;
  if (actual % alignof(size_t) || !user::range_ok(actual, sizeof(size_t))) return ERR_INVALID_ARGS;
  ScratchBuffer snap_mem, text_mem;
  auto s = snap_mem.allocate(sizeof(kstat::Snapshot));
  if (s.is_error()) return ERR_NO_MEMORY;
  auto* snap = static_cast<kstat::Snapshot*>(s.value());
  kstat::snapshot(*snap);
  constexpr size_t TEXT = 4096;
  auto t = text_mem.allocate(TEXT);
  if (t.is_error()) return ERR_NO_MEMORY;
  char* text = static_cast<char*>(t.value());
  size_t len = 0;
  for (size_t i = 0; i < snap->count && len < TEXT; i++)
    len += libk::format(text + len, TEXT - len, "%s %ld\n", snap->entries[i].name,
                        snap->entries[i].value);
  if (len > TEXT) len = TEXT;
  int64_t result = KEEL_OK;
  if (len > cap) {
    result = ERR_BUFFER_TOO_SMALL;
  } else {
    auto r = user::copy_out(buf, text, len);
    if (r.is_error()) result = r.error();
  }
  if (result == KEEL_OK || result == ERR_BUFFER_TOO_SMALL) {
    auto r = user::write<size_t>(actual, len);
    if (r.is_error()) result = r.error();
  }
  return result;
}

int64_t sys_poweroff(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  keel_handle_t h = a0;
  auto dir = current_process().handles().lookup(h, KEEL_RIGHT_POWER,
                                                ObjectType::ProcessDirectory);
  if (dir.is_error()) return dir.error();
  kprintf("\nkeel: power off (status %lu)\n", a1);
  platform_exit(static_cast<uint32_t>(a1 & 0xff));
}

// The orphan audit, on demand: tests run it while their structures are live.
int64_t sys_system_audit(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  keel_handle_t h = a0;
  auto dir = current_process().handles().lookup(h, KEEL_RIGHT_AUDIT, ObjectType::ProcessDirectory);
  if (dir.is_error()) return dir.error();
  return static_cast<int64_t>(audit::run());
}

// Allocation-failure injection (mm/fail_alloc.h), for tests that sweep every
// allocation an operation makes.
int64_t sys_fault_inject(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  keel_handle_t h = a0;
  auto dir = current_process().handles().lookup(h, KEEL_RIGHT_FAULT_INJECT,
                                                ObjectType::ProcessDirectory);
  if (dir.is_error()) return dir.error();
  if (!user::writable(a3, sizeof(uint64_t)) || (a3 & 7)) return ERR_INVALID_ARGS;
  uint64_t injected = fail_alloc::disarm();
  fail_alloc::arm(a1, a2);
  return status(user::write<uint64_t>(a3, injected));
}

}  // namespace syscall
