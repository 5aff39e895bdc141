// Console input arrives by PLIC interrupt into the input ring. The runner
// (scripts/qemu --send) types a line once it sees the prompt below.
#include "dev/uart.h"

#include <arch/csr.h>
#include <arch/timer.h>

#include "ktest/ktest.h"

KTEST("uart.input_by_interrupt") {
  kprintf("# uart-test: type now\n");
  char line[32];
  size_t n = 0;
  uint64_t deadline =
      timer::now() + 120 * timer::timebase_hz();  // generous: the host may be loaded
  while (n < sizeof(line) - 1 && timer::now() < deadline) {
    int c = uart::getc();
    if (c < 0) {
      arch::wfi();  // only an interrupt (UART or tick) wakes us: proves RX is irq driven
      continue;
    }
    if (c == '\r' || c == '\n') break;
    line[n++] = static_cast<char>(c);
  }
  line[n] = 0;
  KT_EXPECT_EQ(n, 10u);
  const char* expected = "hello-uart";
  bool same = true;
  for (size_t i = 0; i < 10 && i < n; i++) same &= line[i] == expected[i];
  KT_EXPECT(same);
  KT_EXPECT_EQ(uart::rx_dropped(), 0u);
}
