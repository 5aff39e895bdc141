// RISC-V Platform-Level Interrupt Controller: routes device interrupts to a
// hart's S-mode external interrupt. Layout from the PLIC specification:
// priority at 4*irq, enable bits at 0x2000 + 0x80*ctx, threshold at
// 0x200000 + 0x1000*ctx, claim/complete 4 bytes after the threshold.
#pragma once
#include <stdint.h>

namespace plic {

void init(uintptr_t base_pa, uint32_t ndev);
// Route `irq` to this hart's S-mode context with the given priority (>= 1).
void enable(uint32_t irq, uint64_t hartid);
uint32_t claim(uint64_t hartid);  // 0 when nothing is pending
void complete(uint32_t irq, uint64_t hartid);

// Devices register their handler for their irq; dispatch() (the external
// interrupt handler) claims every pending irq of this hart, runs its
// handler and completes it. An irq with no handler is just completed.
void set_handler(uint32_t irq, void (*handler)());
void dispatch();

}  // namespace plic
