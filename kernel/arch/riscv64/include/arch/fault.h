// Recoverable kernel faults (see fault_catch.S). User copy has its own,
// lighter mechanism (user_memcpy.S); this one is for code that runs a whole
// function under a catch, such as the fault tests.
//
// run_catching_faults(fn, arg) runs fn; a page fault or access fault inside it
// returns to the caller with the cause instead of panicking. Only code written
// for it may run under a catch (it must hold no locks and own no state that a
// fault halfway would leave inconsistent). fn runs with interrupts off and
// must not block: the catch is armed on the hart (Cpu::fault_catch), not on
// the task, so no switch may happen while it is armed.
#pragma once
#include <arch/asm_constants.h>
#include <stddef.h>
#include <stdint.h>

struct FaultCatch {
  uint64_t ra, sp, s[12];  // callee-saved state of fault_catch_run's caller
  uint64_t scause, stval;  // set when a fault was caught
  FaultCatch* previous;    // catches nest
};
// fault_catch.S saves and loads the first block with STORE_CALLEE/LOAD_CALLEE.
static_assert(offsetof(FaultCatch, ra) == ASM_CALLEE_RA);
static_assert(offsetof(FaultCatch, sp) == ASM_CALLEE_SP);
static_assert(offsetof(FaultCatch, s) == ASM_CALLEE_S0);
static_assert(offsetof(FaultCatch, scause) == ASM_FAULT_CATCH_SCAUSE);
static_assert(offsetof(FaultCatch, stval) == ASM_FAULT_CATCH_STVAL);
static_assert(offsetof(FaultCatch, previous) == ASM_FAULT_CATCH_PREVIOUS);
static_assert(sizeof(FaultCatch) == ASM_FAULT_CATCH_SIZE);

extern "C" long fault_catch_run(FaultCatch* c, void (*fn)(void*), void* arg);
extern "C" void fault_catch_landing();

// Returns true if fn faulted; c.scause and c.stval then describe the fault.
bool run_catching_faults(FaultCatch& c, void (*fn)(void*), void* arg);
