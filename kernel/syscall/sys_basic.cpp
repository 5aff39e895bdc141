// Syscalls about time, the console, counters and the end of a process.
#include <libk/format.h>

#include "boot_stats.h"
#include "dev/platform_exit.h"
#include "lib/kprintf.h"
#include "mm/fail_alloc.h"
#include "mm/kstat.h"
#include "mm/user_copy.h"
#include "object/audit.h"
#include "object/console.h"
#include "object/process_directory.h"
#include "sched/sched.h"
#include "sched/scratch.h"
#include "syscall.h"

namespace syscall {
namespace {
struct None {};
libk::Result<None> no_args(const Args&) { return None{}; }

// A process directory handle with `right`.
libk::Result<RefPtr<ProcessDirectory>> directory(uint64_t h, uint32_t right) {
  return current_process().handles().lookup_as<ProcessDirectory>(h, right);
}

libk::Result<void> null(None&) { return libk::ok(); }

// The process ends: every task is asked to stop, this one included; the
// return-to-user path then takes this task out, and the last task out tears
// the process down.
struct ExitRequest {
  int64_t code;
};
libk::Result<ExitRequest> decode_exit(const Args& a) {
  return ExitRequest{static_cast<int64_t>(a[0])};
}
libk::Result<void> exit(ExitRequest& r) {
  current_process().kill(r.code);
  return libk::ok();
}

libk::Result<void> yield(None&) {
  sched::yield();
  return libk::ok();
}

libk::Result<Deadline> decode_sleep(const Args& a) {
  if (a[0] == KEEL_TIMEOUT_INFINITE) return libk::err(ERR_INVALID_ARGS);
  return deadline_from_ms(a[0]);
}
libk::Result<void> sleep(Deadline& deadline) {
  if (deadline.is_poll()) return libk::ok();
  return sched::sleep_until(deadline);
}

// clock_ms changes nothing: its out pointer is judged by the copy itself.
libk::Result<uintptr_t> decode_clock(const Args& a) { return uintptr_t{a[0]}; }
libk::Result<void> clock(uintptr_t& out) { return user::write<uint64_t>(out, ms_since_boot()); }

struct DebugWrite {
  uintptr_t buf;
  size_t len;
};
libk::Result<DebugWrite> decode_debug_write(const Args& a) {
  if (a[1] > KEEL_CHANNEL_MAX_BYTES) return libk::err(ERR_OUT_OF_RANGE);
  if (!user::range_ok(a[0], a[1])) return libk::err(ERR_INVALID_ARGS);
  return DebugWrite{a[0], a[1]};
}
// Written in chunks, each in one piece (kwrite); a chunk ends at a line's
// end when it has one, so lines up to the chunk's size never interleave
// with another hart's output, and a longer one is split only where it must.
libk::Result<void> debug_write(DebugWrite& r) {
  char chunk[512];  // the size of user space's printf buffer (rt.cpp)
  for (size_t off = 0; off < r.len;) {
    size_t n = r.len - off < sizeof(chunk) ? r.len - off : sizeof(chunk);
    TRY(user::copy_in(chunk, r.buf + off, n));
    if (off + n < r.len)
      for (size_t k = n; k > 0; k--)
        if (chunk[k - 1] == '\n') {
          n = k;
          break;
        }
    kwrite(chunk, n);
    off += n;
  }
  return libk::ok();
}

constexpr size_t DEBUG_READ_MAX = 256;
struct DebugRead {
  uintptr_t buf, actual;
  size_t cap;
  Deadline deadline;
};
libk::Result<DebugRead> decode_debug_read(const Args& a) {
  size_t cap = a[1] < DEBUG_READ_MAX ? a[1] : DEBUG_READ_MAX;
  if (!user::range_ok(a[0], a[1]) || a[1] == 0) return libk::err(ERR_INVALID_ARGS);
  // Both out pointers writable before any input is taken: a bad one loses none.
  uintptr_t actual = TRY(out_ptr<size_t>(a[2]));
  if (!user::writable(a[0], cap)) return libk::err(ERR_INVALID_ARGS);
  return DebugRead{a[0], actual, cap, deadline_from_ms(a[3])};
}
libk::Result<void> debug_read(DebugRead& r) {
  boot_stats::note_first_console_read();  // the shell at its first prompt
  char tmp[DEBUG_READ_MAX];
  size_t n = TRY(console::read(tmp, r.cap, r.deadline));
  TRY(user::copy_out(r.buf, tmp, n));
  return user::write<size_t>(r.actual, n);
}

struct KstatRead {
  uintptr_t buf, actual;
  size_t cap;
};
libk::Result<KstatRead> decode_kstat_read(const Args& a) {
  if (!user::range_ok(a[0], a[1])) return libk::err(ERR_INVALID_ARGS);
  if (a[2] % alignof(size_t) || !user::range_ok(a[2], sizeof(size_t)))
    return libk::err(ERR_INVALID_ARGS);
  return KstatRead{a[0], a[2], a[1]};
}
// The text is built in two scratch buffers the task owns (they are freed
// when it is, whatever happens here).
libk::Result<void> kstat_read(KstatRead& r) {
  ScratchBuffer snap_mem, text_mem;
  auto* snap = static_cast<kstat::Snapshot*>(TRY(snap_mem.allocate(sizeof(kstat::Snapshot))));
  kstat::snapshot(*snap);
  constexpr size_t TEXT = 4096;
  char* text = static_cast<char*>(TRY(text_mem.allocate(TEXT)));
  size_t len = 0;
  for (size_t i = 0; i < snap->count && len < TEXT; i++)
    len += libk::format(text + len, TEXT - len, "%s %ld\n", snap->entries[i].name,
                        snap->entries[i].value);
  if (len > TEXT) len = TEXT;
  if (len <= r.cap) TRY(user::copy_out(r.buf, text, len));
  TRY(user::write<size_t>(r.actual, len));  // also when too small: the size a retry needs
  if (len > r.cap) return libk::err(ERR_BUFFER_TOO_SMALL);
  return libk::ok();
}

struct Poweroff {
  uint32_t status;
};
libk::Result<Poweroff> decode_poweroff(const Args& a) {
  TRY(directory(a[0], KEEL_RIGHT_POWER));
  return Poweroff{static_cast<uint32_t>(a[1] & 0xff)};
}
libk::Result<void> poweroff(Poweroff& r) {
  kprintf("\nkeel: power off (status %u)\n", r.status);
  platform_exit(r.status);
}

// The orphan audit, on demand: tests run it while their structures are live.
libk::Result<None> decode_audit(const Args& a) {
  TRY(directory(a[0], KEEL_RIGHT_AUDIT));
  return None{};
}
libk::Result<uint64_t> system_audit(None&) { return uint64_t{audit::run()}; }

// Allocation-failure injection (mm/fail_alloc.h), for tests that sweep every
// allocation an operation makes.
struct FaultInject {
  uint64_t nth, every;
  uintptr_t out;
};
libk::Result<FaultInject> decode_fault_inject(const Args& a) {
  TRY(directory(a[0], KEEL_RIGHT_FAULT_INJECT));
  return FaultInject{a[1], a[2], TRY(out_ptr<uint64_t>(a[3]))};
}
libk::Result<void> fault_inject(FaultInject& r) {
  uint64_t injected = fail_alloc::rearm(r.nth, r.every);
  return user::write<uint64_t>(r.out, injected);
}
}  // namespace

int64_t sys_null(const Args& a) { return handler<no_args, null>(a); }
int64_t sys_exit(const Args& a) { return handler<decode_exit, exit>(a); }
int64_t sys_yield(const Args& a) { return handler<no_args, yield>(a); }
int64_t sys_sleep_ms(const Args& a) { return handler<decode_sleep, sleep>(a); }
int64_t sys_clock_ms(const Args& a) { return handler<decode_clock, clock>(a); }
int64_t sys_debug_write(const Args& a) { return handler<decode_debug_write, debug_write>(a); }
int64_t sys_debug_read(const Args& a) { return handler<decode_debug_read, debug_read>(a); }
int64_t sys_kstat_read(const Args& a) { return handler<decode_kstat_read, kstat_read>(a); }
int64_t sys_poweroff(const Args& a) { return handler<decode_poweroff, poweroff>(a); }
int64_t sys_system_audit(const Args& a) { return handler<decode_audit, system_audit>(a); }
int64_t sys_fault_inject(const Args& a) { return handler<decode_fault_inject, fault_inject>(a); }

}  // namespace syscall
