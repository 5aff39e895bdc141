// 16550 UART driver. Register offsets and bits: the 16550 datasheet (the
// subset QEMU models): RBR/THR 0, IER 1, FCR 2, LCR 3, LSR 5.
#include "uart.h"

#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/memlayout.h>
#include <arch/sbi.h>
#include <arch/spinlock.h>
#include <arch/tlb.h>
#include <libk/atomic.h>

namespace uart {
namespace {
constexpr unsigned RBR = 0, THR = 0, IER = 1, FCR = 2, LCR = 3, LSR = 5;
constexpr uint8_t IER_RX_AVAILABLE = 1 << 0;
constexpr uint8_t FCR_ENABLE_AND_CLEAR = 0x07;
constexpr uint8_t LCR_8N1 = 0x03;
constexpr uint8_t LSR_DATA_READY = 1 << 0, LSR_THR_EMPTY = 1 << 5;

volatile uint8_t* regs = nullptr;
Spinlock tx_lock{LockRank::Console, "uart tx"};
// After a panic the console belongs to the panicking hart: it writes without
// tx_lock (whoever held it may never let go), and any other hart that tries
// to print stops where it is. -1: no panic.
libk::Atomic<int64_t> panic_owner{-1};

// Input ring: the irq handler produces, getc consumes. One lock, irqs off.
constexpr size_t RING = 256;
char ring[RING];
size_t head, tail, dropped;  // head: next write, tail: next read
Spinlock rx_lock{LockRank::Console, "uart rx"};
void (*input_listener)();

void raw_putc(char c) {
  if (!regs) {
    arch::sbi::console_putchar(c);
    return;
  }
  // The host may be slow to take output (a full pipe): this hart spins
  // with interrupts off, so it serves TLB shootdowns meanwhile (tlb.h).
  while (!(regs[LSR] & LSR_THR_EMPTY)) arch::tlb::serve();
  regs[THR] = static_cast<uint8_t>(c);
}
}  // namespace

void init(uintptr_t base_pa) {
  volatile uint8_t* r = arch::phys_to_virt<volatile uint8_t>(base_pa);
  r[IER] = 0;
  r[LCR] = LCR_8N1;
  r[FCR] = FCR_ENABLE_AND_CLEAR;
  regs = r;
}

void enable_rx_interrupt() { regs[IER] = IER_RX_AVAILABLE; }

[[noreturn]] void stop_here() {
  arch::irq_disable();
  for (;;) arch::wfi();
}

void write(const char* s, size_t n) {
  int64_t me = static_cast<int64_t>(arch::this_cpu()->hartid);
  // One lock hold per write: what one caller writes (a line of kprintf, a
  // chunk of a user's debug_write) reaches the terminal in one piece, never
  // interleaved character by character with another hart's output. A hart
  // that panics meanwhile takes the console over: the writer stops at once.
  auto emit = [&] {
    for (size_t i = 0; i < n; i++) {
      int64_t owner = panic_owner.load(libk::MemoryOrder::Acquire);
      if (owner >= 0 && owner != me) stop_here();
      if (s[i] == '\n') raw_putc('\r');
      raw_putc(s[i]);
    }
  };
  int64_t owner = panic_owner.load(libk::MemoryOrder::Acquire);
  if (owner == me) return emit();  // the panicking hart: no lock
  if (owner >= 0) stop_here();
  SpinGuard g(tx_lock);
  emit();
}

void handle_irq() {
  bool got = false;
  {
    SpinGuard g(rx_lock);
    while (regs[LSR] & LSR_DATA_READY) {
      char c = static_cast<char>(regs[RBR]);
      if (head - tail == RING) {
        dropped++;
        continue;
      }
      ring[head++ % RING] = c;
      got = true;
    }
  }
  if (got && input_listener) input_listener();
}

int getc() {
  SpinGuard g(rx_lock);
  if (head == tail) return -1;
  return static_cast<unsigned char>(ring[tail++ % RING]);
}

size_t rx_dropped() { return dropped; }

void set_input_listener(void (*listener)()) { input_listener = listener; }

void claim_for_panic() {
  int64_t me = static_cast<int64_t>(arch::this_cpu()->hartid);
  int64_t expected = -1;
  if (!panic_owner.compare_exchange(expected, me, libk::MemoryOrder::AcqRel,
                                    libk::MemoryOrder::Acquire) &&
      expected != me)
    stop_here();  // another hart is already reporting its panic
}

void hold_output_lock_for_test() { tx_lock.lock(); }

}  // namespace uart
