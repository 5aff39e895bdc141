// Shared by the user test programs: bad pointers of every kind, and a
// helper that runs one check against all of them.
#pragma once
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

}  // namespace utest
