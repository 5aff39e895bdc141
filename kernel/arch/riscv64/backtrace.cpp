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
bool text_addr(uintptr_t a) {
  return a >= reinterpret_cast<uintptr_t>(__kernel_start) &&
         a < reinterpret_cast<uintptr_t>(__text_end);
}

// The frames of [lo, hi] from fp up: fn(return address) for each, at most max.
struct Stack {
  uintptr_t lo, hi;
  bool holds(uintptr_t fp) const { return fp >= lo + 16 && fp <= hi && (fp & 7) == 0; }
};
template <typename F>
unsigned walk(const Stack& s, uintptr_t fp, unsigned max, F&& fn) {
  unsigned n = 0;
  for (; n < max && s.holds(fp); n++) {
    uintptr_t ret = reinterpret_cast<uintptr_t*>(fp)[-1];
    uintptr_t prev = reinterpret_cast<uintptr_t*>(fp)[-2];
    if (!text_addr(ret)) break;
    fn(ret);
    if (prev <= fp) return n + 1;  // stacks grow down: callers' frames are higher
    fp = prev;
  }
  return n;
}
}  // namespace

unsigned collect_backtrace(uintptr_t fp, uintptr_t* out, unsigned max) {
  unsigned n = 0;
  return walk(Stack{this_cpu()->stack_lo, this_cpu()->stack_hi}, fp, max,
              [&](uintptr_t ret) { out[n++] = ret; });
}

void print_backtrace(uintptr_t pc, uintptr_t fp, uintptr_t ra, uintptr_t stack_lo,
                     uintptr_t stack_hi) {
  Stack s{stack_lo ? stack_lo : this_cpu()->stack_lo, stack_hi ? stack_hi : this_cpu()->stack_hi};
  kprintf("backtrace:\n");
  unsigned depth = 0;
  if (pc) kprintf("  #%u pc %#018lx\n", depth++, pc);
  // GCC saves only fp (at fp-8) in a leaf function: if the word there is not
  // a return address, the trapped function was a leaf and ra holds its caller.
  if (ra && s.holds(fp) && !text_addr(reinterpret_cast<uintptr_t*>(fp)[-1])) {
    kprintf("  #%u pc %#018lx\n", depth++, ra);
    fp = reinterpret_cast<uintptr_t*>(fp)[-1];
  }
  walk(s, fp, 32 - depth, [&](uintptr_t ret) { kprintf("  #%u pc %#018lx\n", depth++, ret); });
}

}  // namespace arch
