// Frame-pointer backtraces, for panic reports.
#pragma once
#include <stdint.h>

namespace arch {

// Print `pc` first (if non-zero), then the callers found through frame
// pointer `fp`. `ra` (if non-zero) is the interrupted code's ra register,
// needed when a trap hit a leaf function. Only frames inside [stack_lo,
// stack_hi] are read (default: the running task's stack), so a broken stack
// ends the trace instead of faulting in the panic path.
void print_backtrace(uintptr_t pc, uintptr_t fp, uintptr_t ra = 0, uintptr_t stack_lo = 0,
                     uintptr_t stack_hi = 0);
// The same walk on this hart's stack, into out[max] instead of the console
// (no lock, no output): the return addresses found.
unsigned collect_backtrace(uintptr_t fp, uintptr_t* out, unsigned max);

}  // namespace arch
