// A fault inside a test is caught and reported, never a hang.
#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/fault.h>
#include <arch/memlayout.h>

#include "ktest/ktest.h"

namespace {
void load_from(void* addr) {
  volatile uint64_t v = *static_cast<volatile uint64_t*>(addr);
  (void)v;
}
void store_to(void* addr) { *static_cast<volatile uint64_t*>(addr) = 42; }
void illegal(void*) { asm volatile(".word 0"); }  // all-zero is a defined illegal instruction
void returns_normally(void* flag) { *static_cast<int*>(flag) = 1; }
}  // namespace

KTEST("trap.fault_load_unmapped_caught") {
  FaultCatch c;
  void* bad = reinterpret_cast<void*>(0xffffffd800000000ull);  // unmapped kernel address
  KT_EXPECT(run_catching_faults(c, load_from, bad));
  KT_EXPECT_EQ(c.scause, arch::EXC_LOAD_PAGE);
  KT_EXPECT_EQ(c.stval, reinterpret_cast<uint64_t>(bad));
}

KTEST("trap.fault_store_to_text_caught") {
  // The kernel text is mapped R+X: a store must fault, proving real permissions.
  FaultCatch c;
  void* text = reinterpret_cast<void*>(&load_from);
  KT_EXPECT(run_catching_faults(c, store_to, text));
  KT_EXPECT_EQ(c.scause, arch::EXC_STORE_PAGE);
  KT_EXPECT_EQ(c.stval, reinterpret_cast<uint64_t>(text));
}

KTEST("trap.fault_store_to_rodata_caught") {
  static const uint64_t constant = 7;
  FaultCatch c;
  KT_EXPECT(run_catching_faults(c, store_to, const_cast<uint64_t*>(&constant)));
  KT_EXPECT_EQ(c.scause, arch::EXC_STORE_PAGE);
  KT_EXPECT_EQ(constant, 7u);
}

KTEST("trap.boot_stack_guard_page_faults") {
  FaultCatch c;
  KT_EXPECT(run_catching_faults(c, load_from, __boot_stack_guard + 64));
  KT_EXPECT_EQ(c.scause, arch::EXC_LOAD_PAGE);
}

KTEST("trap.illegal_instruction_caught") {
  FaultCatch c;
  KT_EXPECT(run_catching_faults(c, illegal, nullptr));
  KT_EXPECT_EQ(c.scause, arch::EXC_ILLEGAL);
}

KTEST("trap.no_fault_returns_normally") {
  FaultCatch c;
  int flag = 0;
  KT_EXPECT(!run_catching_faults(c, returns_normally, &flag));
  KT_EXPECT_EQ(flag, 1);
  KT_EXPECT(arch::this_cpu()->fault_catch == nullptr);
}

// Not run by the kernel suite's globs: the fault-dump test boots with
// test=panic.* and requires the dump and a failure exit status.
KTEST("panic.uncaught_fault_dumps_and_exits") {
  load_from(reinterpret_cast<void*>(0xffffffd800000008ull));
  KT_EXPECT(false);  // unreachable: the fault stops the kernel
}
