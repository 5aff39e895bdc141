// Copying between the kernel and user memory. Every user pointer goes
// through here: the range must lie inside user space (no wrap, no crossing
// into the kernel half), typed copies must be aligned, and the pages must be
// mapped with the right permission. A fault during the copy is caught and
// becomes ERR_INVALID_ARGS; the kernel never panics on a user pointer.
// SUM (supervisor access to user pages) is on only for the copy itself.
#pragma once
#include <libk/result.h>
#include <stddef.h>
#include <stdint.h>

namespace user {

// Is [addr, addr+len) entirely inside user space? (len 0 is fine anywhere.)
bool range_ok(uintptr_t addr, size_t len);

// May the kernel write [addr, addr+len): inside user space and mapped
// writable? Checked before a syscall acts, so that a bad output buffer
// changes nothing (the copy itself still catches faults). Cheap: one atomic
// no-op per page, nothing written.
bool writable(uintptr_t addr, size_t len);

libk::Result<void> copy_in(void* dst, uintptr_t src, size_t len);
libk::Result<void> copy_out(uintptr_t dst, const void* src, size_t len);
// Copy a NUL-free name of at most cap-1 bytes (len given by the caller) and
// terminate it; ERR_INVALID_ARGS if it has a NUL inside or is too long.
libk::Result<void> copy_in_string(char* dst, size_t cap, uintptr_t src, size_t len);

// Read a struct straight into `out` (no intermediate copies: argument
// blocks are on every IPC call).
template <typename T>
libk::Result<void> read_into(T& out, uintptr_t src) {
  if (src % alignof(T)) return libk::err(ERR_INVALID_ARGS);
  return copy_in(&out, src, sizeof(T));
}

template <typename T>
libk::Result<T> read(uintptr_t src) {
  if (src % alignof(T)) return libk::err(ERR_INVALID_ARGS);
  T v;
  TRY(copy_in(&v, src, sizeof(T)));
  return v;
}

template <typename T>
libk::Result<void> write(uintptr_t dst, const T& v) {
  if (dst % alignof(T)) return libk::err(ERR_INVALID_ARGS);
  return copy_out(dst, &v, sizeof(T));
}

}  // namespace user
