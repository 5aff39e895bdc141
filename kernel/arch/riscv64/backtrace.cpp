// With -fno-omit-frame-pointer every RISC-V frame stores the return address at
// fp-8 and the caller's fp at fp-16. The walk stops at fp 0 (boot entry sets
// it), at a misaligned fp, or at one outside the stack, so a corrupted stack
// ends the trace instead of faulting inside the panic path.
#include <arch/backtrace.h>
#include <arch/cpu.h>
#include <arch/memlayout.h>

#include "lib/kprintf.h"

namespace arch {
namespace {
uintptr_t lo, hi;  // the stack being walked
bool stack_addr(uintptr_t a) { return a >= lo + 16 && a <= hi && (a & 7) == 0; }
bool text_addr(uintptr_t a) {
  return a >= reinterpret_cast<uintptr_t>(__kernel_start) &&
         a < reinterpret_cast<uintptr_t>(__text_end);
}
}  // namespace

unsigned collect_backtrace(uintptr_t fp, uintptr_t* out, unsigned max) {
  uintptr_t s_lo = this_cpu()->stack_lo, s_hi = this_cpu()->stack_hi;
  unsigned n = 0;
  for (; n < max && fp >= s_lo + 16 && fp <= s_hi && (fp & 7) == 0; n++) {
    uintptr_t ret = reinterpret_cast<uintptr_t*>(fp)[-1];
    uintptr_t prev = reinterpret_cast<uintptr_t*>(fp)[-2];
    if (!text_addr(ret)) break;
    out[n] = ret;
    if (prev <= fp) {
      n++;
      break;
    }
    fp = prev;
  }
  return n;
}

void print_backtrace(uintptr_t pc, uintptr_t fp, uintptr_t ra, uintptr_t stack_lo,
                     uintptr_t stack_hi) {
  lo = stack_lo ? stack_lo : this_cpu()->stack_lo;
  hi = stack_hi ? stack_hi : this_cpu()->stack_hi;
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

}  // namespace arch
