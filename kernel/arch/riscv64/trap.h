// Trap setup and the kernel's response to every trap.
#pragma once
#include <stdint.h>

#include "trap_frame.h"

namespace arch {

void trap_init_this_hart();  // install the vector; sscratch = 0 (in kernel)
const char* scause_name(uint64_t scause);
// Timer and device interrupts, from kernel or user mode (interrupts off).
void handle_interrupt(uint64_t scause);

}  // namespace arch

extern "C" void trap_entry();
extern "C" void trap_dispatch(arch::TrapFrame* tf);
