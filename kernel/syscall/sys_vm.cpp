// User memory: vm_alloc / vm_free.
#include "arch/riscv64/memlayout.h"
#include "arch/riscv64/page_table.h"
#include "mm/user_copy.h"
#include "syscall.h"

namespace syscall {

constexpr size_t VM_ALLOC_MAX = 64ull << 20;  // one call maps at most 64 MiB

int64_t sys_vm_alloc(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  size_t size = a0;
  uint32_t perms = static_cast<uint32_t>(a1);
  uintptr_t out = a2;
  if (a1 > UINT32_MAX || perms & ~(KEEL_VM_READ | KEEL_VM_WRITE | KEEL_VM_EXEC))
    return ERR_INVALID_ARGS;
  if (!(perms & KEEL_VM_READ)) return ERR_INVALID_ARGS;
  if ((perms & KEEL_VM_WRITE) && (perms & KEEL_VM_EXEC)) return ERR_ACCESS_DENIED;
  if (size == 0 || size > VM_ALLOC_MAX) return ERR_INVALID_ARGS;
  // Check the out pointer before acting, so a bad one changes nothing.
  auto probe = user::write<uintptr_t>(out, 0);
  if (probe.is_error()) return probe.error();
  uint32_t arch_perms = arch::PERM_R;
  if (perms & KEEL_VM_WRITE) arch_perms |= arch::PERM_W;
  if (perms & KEEL_VM_EXEC) arch_perms |= arch::PERM_X;
  AddressSpace& as = current_process().address_space();
  auto addr = as.allocate(size, arch_perms);
  if (addr.is_error()) return addr.error();
  auto r = user::write<uintptr_t>(out, addr.value());
  if (r.is_error()) {  // unmapped meanwhile by another task: undo
    (void)as.release(addr.value(), size);
    return r.error();
  }
  return KEEL_OK;
}

int64_t sys_vm_free(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  uintptr_t addr = a0;
  size_t size = a1;
  if (addr % arch::PAGE_SIZE || size == 0 || !user::range_ok(addr, size)) return ERR_INVALID_ARGS;
  return status(current_process().address_space().release(addr, size));
}

}  // namespace syscall
