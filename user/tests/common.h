// Shared by the user test programs: bad pointers of every kind, and a
// helper that runs one check against all of them.
#pragma once
#include <libk/format.h>
#include <libk/string.h>

#include <initializer_list>

#include "keel.h"
#include "tap.h"

namespace utest {

// A mapped, writable, 16-byte aligned scratch page for "valid" pointers.
inline uint8_t* scratch() {
  static uint8_t* page;
  if (!page) {
    uintptr_t a = 0;
    keel::vm_alloc(4096, KEEL_VM_READ | KEEL_VM_WRITE, &a);
    page = reinterpret_cast<uint8_t*>(a);
  }
  return page;
}

// A mapped, read-only (zero-filled) page: the kernel may read it, never write it.
inline uint8_t* read_only() {
  static uint8_t* page;
  if (!page) {
    uintptr_t a = 0;
    keel::vm_alloc(4096, KEEL_VM_READ, &a);
    page = reinterpret_cast<uint8_t*>(a);
  }
  return page;
}

struct BadPointer {
  const char* what;
  uintptr_t addr;
  bool only_for_aligned;  // bad only where alignment is required
};

// The user/kernel boundary is 0x40_0000_0000; the top of the address space
// is kernel memory.
inline const BadPointer* bad_pointers(size_t* n) {
  static BadPointer list[] = {
      {"NULL", 0, false},
      {"kernel address", 0xffffffff80200000ull, false},
      {"unmapped", 0x0000003000000000ull, false},
      {"crossing into the kernel half", 0x0000003ffffffffcull, false},
      {"misaligned", 0, true},
  };
  list[4].addr = reinterpret_cast<uintptr_t>(scratch()) + 1;
  *n = sizeof(list) / sizeof(list[0]);
  return list;
}

// expect_status with a formatted description.
inline bool expect(int64_t got, int64_t want, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
inline bool expect(int64_t got, int64_t want, const char* fmt, ...) {
  char what[160];
  va_list ap;
  va_start(ap, fmt);
  libk::vformat(what, sizeof(what), fmt, ap);
  va_end(ap);
  return tap::expect_status(got, want, what);
}

// One check per bad pointer kind: call(addr) must return ERR_INVALID_ARGS.
// `aligned`: the argument must be aligned (so a misaligned one is bad too).
template <typename F>
void each_bad_pointer(const char* what, bool aligned, F&& call) {
  size_t n;
  const BadPointer* bad = bad_pointers(&n);
  for (size_t i = 0; i < n; i++) {
    if (bad[i].only_for_aligned && !aligned) continue;
    expect(call(bad[i].addr), ERR_INVALID_ARGS, "%s %s", what, bad[i].what);
  }
}
// How many checks each_bad_pointer makes.
inline int bad_pointer_checks(bool aligned) { return aligned ? 5 : 4; }

template <typename T>
T* ptr(uintptr_t a) {
  return reinterpret_cast<T*>(a);
}

// The process directory handle init starts with (all rights).
inline keel_handle_t dir() { return keel::startup_handle(0); }

// A handle table grows in chunks on demand and keeps them until the process
// ends: make room for `n` handles once, before taking a baseline.
inline void grow_handle_table(size_t n) {
  static keel_handle_t hs[KEEL_MAX_HANDLES_PER_PROCESS];
  size_t made = 0;
  while (made < n && keel::handle_duplicate(dir(), KEEL_RIGHTS_SAME, &hs[made]) == KEEL_OK) made++;
  for (size_t i = 0; i < made; i++) keel::handle_close(hs[i]);
}

// Current value of one kstat counter (-1 if there is none).
inline int64_t counter(const char* name) {
  static keel::KstatSnapshot s;
  keel::kstat_snapshot(s);
  int64_t v = -1;
  keel::kstat_value(s, name, &v);
  return v;
}

// Spawn `name` with at most one argument and one handle; the process
// handle, or KEEL_HANDLE_INVALID (with a diagnostic).
inline keel_handle_t start(const char* name, const char* arg = nullptr,
                           keel_handle_t handle = KEEL_HANDLE_INVALID) {
  keel_handle_t p = KEEL_HANDLE_INVALID;
  int64_t r = keel::spawn(name, &arg, arg ? 1 : 0, &handle, handle ? 1 : 0, &p);
  if (r != KEEL_OK) tap::diag("spawn %s: %s", name, keel_status_name(static_cast<int32_t>(r)));
  return p;
}

// Jobs: a child job of `parent` (KEEL_HANDLE_INVALID: our own job), or
// KEEL_HANDLE_INVALID with a diagnostic; a spawn into a job, its status; the
// same, the process handle or KEEL_HANDLE_INVALID with a diagnostic.
constexpr keel_job_limits NO_LIMITS{};
inline keel_handle_t make_job(keel_handle_t parent = KEEL_HANDLE_INVALID,
                              const keel_job_limits& limits = NO_LIMITS) {
  keel_handle_t j = KEEL_HANDLE_INVALID;
  int64_t r = keel::job_create(parent, &limits, &j);
  if (r != KEEL_OK) tap::diag("job_create: %s", keel_status_name(static_cast<int32_t>(r)));
  return j;
}
inline int64_t spawn_in(keel_handle_t job, const char* name, const char* arg, keel_handle_t* out,
                        const keel_handle_t* hs = nullptr, size_t nh = 0) {
  return keel::spawn(name, &arg, arg ? 1 : 0, hs, nh, out, job);
}
inline keel_handle_t spawn_or_diag(keel_handle_t job, const char* name, const char* arg = nullptr,
                                   const keel_handle_t* hs = nullptr, size_t nh = 0) {
  keel_handle_t p = KEEL_HANDLE_INVALID;
  int64_t r = spawn_in(job, name, arg, &p, hs, nh);
  if (r != KEEL_OK) tap::diag("spawn %s: %s", name, keel_status_name(static_cast<int32_t>(r)));
  return p;
}

// Kill (if still running) and reap a child; its exit code.
inline int64_t reap(keel_handle_t p, bool kill = true) {
  if (kill) keel::process_kill(p);
  int64_t code = 0;
  int64_t r = keel::process_wait(p, &code, keel::PATIENCE_MS);
  if (r != KEEL_OK) tap::diag("reap: %s", keel_status_name(static_cast<int32_t>(r)));
  return code;
}

inline keel_object_info info_of(keel_handle_t h) {
  keel_object_info info{};
  int64_t r = keel::object_info(h, &info);
  if (r != KEEL_OK)
    tap::diag("object_info(%#lx): %s", h, keel_status_name(static_cast<int32_t>(r)));
  return info;
}

// Poll until the process behind `h` has exited (without reaping it).
inline bool await_exit(keel_handle_t h) {
  for (uint64_t start = keel::clock_ms(); keel::clock_ms() - start < keel::PATIENCE_MS;) {
    keel_object_info info{};
    if (keel::object_info(h, &info) != KEEL_OK) return false;
    if (info.state == KEEL_STATE_EXITED) return true;
    keel::sleep_ms(5);
  }
  return false;
}

// The pid of the calling process: the parent of any child it spawns.
inline uint64_t self_pid() {
  static uint64_t pid;
  if (!pid) {
    keel_handle_t p = start("exitcode");
    pid = info_of(p).related_koid;
    reap(p, false);
  }
  return pid;
}

// An observer handle to a child that has exited (and been reaped): revoked.
inline keel_handle_t revoked_observer() {
  keel_handle_t p = start("sleeper", "100000");
  keel_handle_t obs = KEEL_HANDLE_INVALID;
  if (keel::process_open(dir(), info_of(p).koid, &obs) != KEEL_OK) tap::diag("process_open failed");
  reap(p);
  return obs;
}

}  // namespace utest
