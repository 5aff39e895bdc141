// Timer interrupts arrive, never early, and keep arriving.
#include "arch/riscv64/cpu.h"
#include "arch/riscv64/csr.h"
#include "arch/riscv64/timer.h"
#include "ktest/ktest.h"

KTEST("timer.interrupts_arrive") {
  KT_ASSERT(arch::irq_enabled());
  uint64_t start_ticks = timer::ticks();
  uint64_t start_time = timer::now();
  constexpr uint64_t N = 10;
  while (timer::ticks() < start_ticks + N) arch::wfi();
  uint64_t elapsed = timer::now() - start_time;
  uint64_t interval = timer::timebase_hz() / timer::TICK_HZ;
  // N ticks cannot take less than N-1 full intervals (the first may be partial).
  KT_EXPECT(elapsed >= (N - 1) * interval);
  KT_EXPECT_EQ(arch::this_cpu()->late_ticks, 0u);
}

KTEST("timer.masked_interrupts_stay_pending") {
  // With interrupts disabled no tick is taken; enabling delivers the pending one.
  arch::irq_disable();
  uint64_t t = timer::ticks();
  uint64_t until = timer::now() + 3 * timer::timebase_hz() / timer::TICK_HZ;
  while (timer::now() < until) {
  }
  KT_EXPECT_EQ(timer::ticks(), t);
  KT_EXPECT(arch::r_sip() & arch::SIE_STIE);
  arch::irq_enable();
  KT_EXPECT(timer::ticks() > t);
}
