// panic() and the frame-pointer backtrace.
//
// With -fno-omit-frame-pointer every RISC-V frame stores the return address at
// fp-8 and the caller's fp at fp-16. The walk stops at fp 0 (boot entry sets
// it), at a misaligned fp, or at one outside kernel memory, so a corrupted
// stack ends the trace instead of faulting inside the panic path.
#include "panic.h"

#include <libk/assert.h>

#include "arch/riscv64/cpu.h"
#include "arch/riscv64/csr.h"
#include "arch/riscv64/memlayout.h"
#include "dev/platform_exit.h"
#include "dev/uart.h"
#include "kprintf.h"

namespace {
uintptr_t lo, hi;  // the stack being walked
bool stack_addr(uintptr_t a) { return a >= lo + 16 && a <= hi && (a & 7) == 0; }
bool text_addr(uintptr_t a) {
  return a >= reinterpret_cast<uintptr_t>(__kernel_start) &&
         a < reinterpret_cast<uintptr_t>(__text_end);
}
void (*panic_note)();
}  // namespace

void set_panic_note(void (*note)()) { panic_note = note; }

void panic_begin() {
  arch::irq_disable();
  uart::claim_for_panic();
}

void panic_finish() {
  if (void (*note)() = panic_note) {
    panic_note = nullptr;  // a panic inside the note does not loop
    note();
  }
  platform_exit(EXIT_PANIC);
}

void print_backtrace(uintptr_t pc, uintptr_t fp, uintptr_t ra, uintptr_t stack_lo,
                     uintptr_t stack_hi) {
  lo = stack_lo ? stack_lo : arch::this_cpu()->stack_lo;
  hi = stack_hi ? stack_hi : arch::this_cpu()->stack_hi;
  kprintf("backtrace:\n");
  int depth = 0;
  if (pc) kprintf("  #%d pc %#018lx\n", depth++, pc);
  // GCC saves only fp (at fp-8) in a leaf function: if the word there is not
  // a return address, the trapped function was a leaf and ra holds its caller.
  if (ra && stack_addr(fp) && !text_addr(reinterpret_cast<uintptr_t*>(fp)[-1])) {
    kprintf("  #%d pc %#018lx\n", depth++, ra);
    fp = reinterpret_cast<uintptr_t*>(fp)[-1];
  }
  for (; depth < 32 && stack_addr(fp); depth++) {
    uintptr_t ret = reinterpret_cast<uintptr_t*>(fp)[-1];
    uintptr_t prev = reinterpret_cast<uintptr_t*>(fp)[-2];
    if (!text_addr(ret)) break;
    kprintf("  #%d pc %#018lx\n", depth, ret);
    if (prev <= fp) break;  // stacks grow down: callers' frames are higher
    fp = prev;
  }
}

void panic(const char* fmt, ...) {
  panic_begin();
  kprintf("\nKERNEL PANIC: ");
  va_list ap;
  va_start(ap, fmt);
  kvprintf(fmt, ap);
  va_end(ap);
  kprintf("\n");
  print_backtrace(0, reinterpret_cast<uintptr_t>(__builtin_frame_address(0)), 0);
  panic_finish();
}

void libk_assert_fail(const char* expr, const char* file, int line) {
  panic("libk assertion failed: %s (%s:%d)", expr, file, line);
}
