// Calls into the SBI firmware (OpenSBI) below the kernel.
// Extension and function IDs: RISC-V Supervisor Binary Interface specification.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace arch::sbi {

struct Ret {
  long error;  // 0 on success, negative SBI error code otherwise
  long value;
};

Ret call(uint64_t ext, uint64_t fid, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0);

void set_timer(uint64_t stime_value);  // TIME extension (legacy fallback)
void console_putchar(char c);          // legacy; for the earliest boot messages
long hart_start(uint64_t hartid, uint64_t start_pa, uint64_t opaque);  // HSM
long hart_status(uint64_t hartid);             // HSM: 0 started, 1 stopped, ...
void send_ipi(uint64_t hartid);                // sPI: a supervisor software interrupt there
[[noreturn]] void system_reset(bool failure);  // SRST; parks the hart if unavailable

}  // namespace arch::sbi
