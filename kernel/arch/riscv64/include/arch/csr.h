// One-line helpers for the RISC-V supervisor CSRs and a few instructions.
// Register layouts: RISC-V Privileged Architecture, chapter "Supervisor-Level ISA".
#pragma once
#include <arch/asm_constants.h>
#include <stdint.h>

namespace arch {

#define KEEL_CSR_READ(name)                    \
  static inline uint64_t r_##name() {          \
    uint64_t v;                                \
    asm volatile("csrr %0, " #name : "=r"(v)); \
    return v;                                  \
  }
#define KEEL_CSR_WRITE(name)                                  \
  static inline void w_##name(uint64_t v) {                   \
    asm volatile("csrw " #name ", %0" : : "r"(v) : "memory"); \
  }
#define KEEL_CSR(name) KEEL_CSR_READ(name) KEEL_CSR_WRITE(name)

KEEL_CSR(sstatus)
KEEL_CSR(sie)
KEEL_CSR_READ(sip)
KEEL_CSR(stvec)
KEEL_CSR(sscratch)
KEEL_CSR(sepc)
KEEL_CSR_READ(scause)
KEEL_CSR_READ(stval)
KEEL_CSR(satp)
KEEL_CSR(scounteren)
KEEL_CSR_READ(time)
KEEL_CSR_READ(cycle)
KEEL_CSR_READ(instret)

#undef KEEL_CSR
#undef KEEL_CSR_READ
#undef KEEL_CSR_WRITE

// sstatus bits
constexpr uint64_t SSTATUS_SIE = 1ull << 1;        // interrupts enabled in S-mode
constexpr uint64_t SSTATUS_SPIE = 1ull << 5;       // SIE before the trap
constexpr uint64_t SSTATUS_SPP = 1ull << 8;        // trap came from S-mode
constexpr uint64_t SSTATUS_FS = 3ull << 13;        // FPU state (Off in user mode)
constexpr uint64_t SSTATUS_SD = 1ull << 63;        // read-only: FS (or another unit) Dirty
constexpr uint64_t SSTATUS_UXL = 3ull << 32;       // user mode's XLEN (read-only on QEMU)
constexpr uint64_t SSTATUS_SUM = ASM_SSTATUS_SUM;  // S-mode may touch U pages (user copy only)

// sie / sip bits
constexpr uint64_t SIE_SSIE = 1ull << 1;  // software
constexpr uint64_t SIE_STIE = 1ull << 5;  // timer
constexpr uint64_t SIE_SEIE = 1ull << 9;  // external (PLIC)
// An IPI arrives as sip.SSIP (set by the firmware); the handler clears it.
inline void clear_software_interrupt() { asm volatile("csrc sip, %0" ::"r"(SIE_SSIE)); }

// scause
constexpr uint64_t SCAUSE_INTERRUPT = 1ull << 63;
constexpr uint64_t IRQ_S_SOFT = 1, IRQ_S_TIMER = 5, IRQ_S_EXT = 9;
constexpr uint64_t EXC_INST_MISALIGNED = 0, EXC_INST_ACCESS = 1, EXC_ILLEGAL = 2,
                   EXC_BREAKPOINT = 3, EXC_LOAD_MISALIGNED = 4, EXC_LOAD_ACCESS = 5,
                   EXC_STORE_MISALIGNED = 6, EXC_STORE_ACCESS = 7, EXC_ECALL_U = 8, EXC_ECALL_S = 9,
                   EXC_INST_PAGE = 12, EXC_LOAD_PAGE = 13, EXC_STORE_PAGE = 15;

// In a spin-wait loop: a hint, and a compiler barrier.
static inline void cpu_relax() { asm volatile("nop" ::: "memory"); }
static inline void sfence_vma() { asm volatile("sfence.vma zero, zero" ::: "memory"); }
static inline void wfi() { asm volatile("wfi"); }
static inline uintptr_t read_fp() {
  uintptr_t fp;
  asm volatile("mv %0, s0" : "=r"(fp));
  return fp;
}

// Interrupt enable state of this hart; irq_save/irq_restore nest.
static inline bool irq_enabled() { return r_sstatus() & SSTATUS_SIE; }
static inline void irq_enable() { asm volatile("csrs sstatus, %0" ::"r"(SSTATUS_SIE) : "memory"); }
static inline void irq_disable() { asm volatile("csrc sstatus, %0" ::"r"(SSTATUS_SIE) : "memory"); }
static inline uint64_t irq_save() {
  uint64_t prev;
  asm volatile("csrrc %0, sstatus, %1" : "=r"(prev) : "r"(SSTATUS_SIE) : "memory");
  return prev & SSTATUS_SIE;
}
static inline void irq_restore(uint64_t prev) {
  if (prev) irq_enable();
}

}  // namespace arch
