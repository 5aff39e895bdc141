#include "user_copy.h"

#include <arch/csr.h>
#include <arch/memlayout.h>
#include <arch/user_memcpy.h>
#include <libk/string.h>

namespace user {
namespace {
libk::Result<void> guarded_copy(void* dst, const void* src, size_t len) {
  if (user_memcpy(dst, src, len) != 0) return libk::err(ERR_INVALID_ARGS);
  return libk::ok();
}
}  // namespace

bool range_ok(uintptr_t addr, size_t len) {
  if (len == 0) return true;
  if (addr < arch::USER_BASE || addr >= arch::USER_END) return false;
  return len <= arch::USER_END - addr;
}

bool writable(uintptr_t addr, size_t len) {
  if (len == 0) return true;
  if (!range_ok(addr, len)) return false;
  // One probe in each page the range touches (the word holding its first
  // byte in the first page, the first word of every later one).
  for (uintptr_t p = addr & ~uintptr_t{3}; p < addr + len;
       p = arch::page_round_down(p) + arch::PAGE_SIZE)
    if (user_probe_write(reinterpret_cast<void*>(p)) != 0) return false;
  return true;
}

libk::Result<void> copy_in(void* dst, uintptr_t src, size_t len) {
  if (len == 0) return libk::ok();
  if (!range_ok(src, len)) return libk::err(ERR_INVALID_ARGS);
  return guarded_copy(dst, reinterpret_cast<const void*>(src), len);
}

libk::Result<void> copy_out(uintptr_t dst, const void* src, size_t len) {
  if (len == 0) return libk::ok();
  if (!range_ok(dst, len)) return libk::err(ERR_INVALID_ARGS);
  return guarded_copy(reinterpret_cast<void*>(dst), src, len);
}

libk::Result<void> copy_in_string(char* dst, size_t cap, uintptr_t src, size_t len) {
  if (cap == 0 || len >= cap) return libk::err(ERR_INVALID_ARGS);
  TRY(copy_in(dst, src, len));
  for (size_t i = 0; i < len; i++)
    if (dst[i] == 0) return libk::err(ERR_INVALID_ARGS);
  dst[len] = 0;
  return libk::ok();
}

}  // namespace user
