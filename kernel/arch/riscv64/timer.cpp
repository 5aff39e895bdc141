#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/sbi.h>
#include <arch/spinlock.h>
#include <arch/timer.h>
#include <arch/tlb.h>

namespace timer {
namespace {
uint64_t freq = 10000000;  // QEMU virt's timebase; replaced from the DTB
}
uint64_t units_per_ms = 10000;

void init(uint64_t timebase_hz) {
  if (timebase_hz) freq = timebase_hz;
  units_per_ms = (freq + 999) / 1000;
  arch::spin_starving_ticks = units_per_ms * arch::STARVING_MS;
}

void start_this_hart() {
  arch::Cpu* c = arch::this_cpu();
  c->tick_interval = freq / TICK_HZ;
  c->next_deadline = arch::r_time() + c->tick_interval;
  arch::sbi::set_timer(c->next_deadline);
  arch::w_sie(arch::r_sie() | arch::SIE_STIE);
}

void handle_irq() {
  arch::Cpu* c = arch::this_cpu();
  uint64_t t = arch::r_time();
  // The interrupt may never arrive before its deadline; count it if it does.
  if (t < c->next_deadline) c->late_ticks++;
  c->timer_ticks++;
  // Skip missed deadlines instead of firing a burst of catch-up interrupts.
  do c->next_deadline += c->tick_interval;
  while (c->next_deadline <= t);
  arch::sbi::set_timer(c->next_deadline);
  arch::tlb::flush_local();  // at least once a tick: lazily unmapped pages (tlb.h)
}

uint64_t timebase_hz() { return freq; }
uint64_t ticks() { return arch::this_cpu()->timer_ticks; }

}  // namespace timer
