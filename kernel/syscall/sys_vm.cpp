// User memory: vm_alloc / vm_free.
#include <arch/memlayout.h>
#include <arch/page_table.h>

#include "mm/user_copy.h"
#include "syscall.h"

namespace syscall {
namespace {
constexpr size_t VM_ALLOC_MAX = 64ull << 20;  // one call maps at most 64 MiB

struct VmAlloc {
  size_t size;
  uint32_t arch_perms;
  uintptr_t out;
};
libk::Result<VmAlloc> decode_vm_alloc(const Args& a) {
  uint32_t perms = TRY(arg_u32(a[1]));
  if (perms & ~(KEEL_VM_READ | KEEL_VM_WRITE | KEEL_VM_EXEC)) return libk::err(ERR_INVALID_ARGS);
  if (!(perms & KEEL_VM_READ)) return libk::err(ERR_INVALID_ARGS);
  if ((perms & KEEL_VM_WRITE) && (perms & KEEL_VM_EXEC)) return libk::err(ERR_ACCESS_DENIED);
  if (a[0] == 0 || a[0] > VM_ALLOC_MAX) return libk::err(ERR_INVALID_ARGS);
  // The out pointer is checked before acting, so a bad one changes nothing.
  TRY(user::write<uintptr_t>(a[2], 0));
  uint32_t arch_perms = arch::PERM_R;
  if (perms & KEEL_VM_WRITE) arch_perms |= arch::PERM_W;
  if (perms & KEEL_VM_EXEC) arch_perms |= arch::PERM_X;
  return VmAlloc{a[0], arch_perms, a[2]};
}
libk::Result<void> vm_alloc(VmAlloc& r) {
  AddressSpace& as = current_process().address_space();
  uintptr_t addr = TRY(as.allocate(r.size, r.arch_perms));
  auto written = user::write<uintptr_t>(r.out, addr);
  if (written.is_error()) (void)as.release(addr, r.size);  // unmapped meanwhile: undo
  return written;
}

struct VmFree {
  uintptr_t addr;
  size_t size;
};
libk::Result<VmFree> decode_vm_free(const Args& a) {
  if (a[0] % arch::PAGE_SIZE || a[1] == 0 || !user::range_ok(a[0], a[1]))
    return libk::err(ERR_INVALID_ARGS);
  return VmFree{a[0], a[1]};
}
libk::Result<void> vm_free(VmFree& r) {
  return current_process().address_space().release(r.addr, r.size);
}
}  // namespace

int64_t sys_vm_alloc(const Args& a) { return handler<decode_vm_alloc, vm_alloc>(a); }
int64_t sys_vm_free(const Args& a) { return handler<decode_vm_free, vm_free>(a); }

}  // namespace syscall
