// Instruction counts of the boot, printed only when they mean something:
// under QEMU -icount (bootarg icount=on, which scripts/qemu --icount adds),
// rdinstret counts guest instructions exactly; without it QEMU's rdinstret
// follows the host's cycle counter and the number would be noise.
#pragma once
#include <stdint.h>

namespace boot_stats {
void note_entry();          // first thing in kmain
void init_from_bootargs();  // after bootargs::init
bool exact();               // icount=on
// Instructions from kernel entry to now.
uint64_t instructions_since_entry();
// A task is about to wait for console input for the first time: the shell
// at its first prompt. Under icount prints the boot_to_prompt benchmark line.
void note_first_console_read();
}  // namespace boot_stats
