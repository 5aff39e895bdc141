#include "plic.h"

#include <arch/cpu.h>
#include <arch/memlayout.h>

namespace plic {
namespace {
volatile uint32_t* base = nullptr;
uint32_t ndev_max = 0;

// QEMU virt gives each hart an M-mode context (2h) and an S-mode one (2h+1).
uint64_t s_context(uint64_t hartid) { return 2 * hartid + 1; }
volatile uint32_t* reg(uint64_t offset) { return base + offset / 4; }
}  // namespace

void init(uintptr_t base_pa, uint32_t ndev) {
  base = arch::phys_to_virt<volatile uint32_t>(base_pa);
  ndev_max = ndev;
}

void enable(uint32_t irq, uint64_t hartid) {
  if (irq == 0 || irq > ndev_max) return;
  uint64_t ctx = s_context(hartid);
  *reg(4 * irq) = 1;
  volatile uint32_t* en = reg(0x2000 + 0x80 * ctx + 4 * (irq / 32));
  *en = *en | (1u << (irq % 32));
  *reg(0x200000 + 0x1000 * ctx) = 0;  // threshold: accept every priority > 0
}

uint32_t claim(uint64_t hartid) { return *reg(0x200000 + 0x1000 * s_context(hartid) + 4); }

void complete(uint32_t irq, uint64_t hartid) {
  *reg(0x200000 + 0x1000 * s_context(hartid) + 4) = irq;
}

namespace {
constexpr uint32_t MAX_IRQ = 1024;  // the PLIC's architectural limit
void (*handlers[MAX_IRQ])();
}  // namespace

void set_handler(uint32_t irq, void (*handler)()) {
  if (irq < MAX_IRQ) handlers[irq] = handler;
}

void dispatch() {
  uint64_t hart = arch::this_cpu()->hartid;
  while (uint32_t irq = claim(hart)) {
    if (irq < MAX_IRQ && handlers[irq]) handlers[irq]();
    complete(irq, hart);
  }
}

}  // namespace plic
