// SBI calls: ecall with a7 = extension, a6 = function, a0..a5 = arguments;
// the firmware returns an error in a0 and a value in a1.
#include <arch/csr.h>
#include <arch/sbi.h>

namespace arch::sbi {
namespace {
constexpr uint64_t EXT_LEGACY_SET_TIMER = 0x00;
constexpr uint64_t EXT_LEGACY_PUTCHAR = 0x01;
constexpr uint64_t EXT_BASE = 0x10;
constexpr uint64_t EXT_TIME = 0x54494D45;  // "TIME"
constexpr uint64_t EXT_HSM = 0x48534D;     // "HSM"
constexpr uint64_t EXT_SRST = 0x53525354;  // "SRST"
constexpr uint64_t EXT_IPI = 0x735049;     // "sPI"
constexpr uint64_t BASE_PROBE_EXTENSION = 3;

// Probed once: the TIME extension is present on every OpenSBI we boot on, but
// an older firmware only has the legacy call.
int time_ext_state = -1;
}  // namespace

Ret call(uint64_t ext, uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2) {
  register uint64_t r_a0 asm("a0") = a0;
  register uint64_t r_a1 asm("a1") = a1;
  register uint64_t r_a2 asm("a2") = a2;
  register uint64_t r_a6 asm("a6") = fid;
  register uint64_t r_a7 asm("a7") = ext;
  asm volatile("ecall" : "+r"(r_a0), "+r"(r_a1) : "r"(r_a2), "r"(r_a6), "r"(r_a7) : "memory");
  return Ret{static_cast<long>(r_a0), static_cast<long>(r_a1)};
}

void set_timer(uint64_t t) {
  if (time_ext_state < 0) {
    time_ext_state = call(EXT_BASE, BASE_PROBE_EXTENSION, EXT_TIME).value != 0;
  }
  if (time_ext_state)
    call(EXT_TIME, 0, t);
  else
    call(EXT_LEGACY_SET_TIMER, 0, t);
}

void console_putchar(char c) { call(EXT_LEGACY_PUTCHAR, 0, static_cast<unsigned char>(c)); }

long hart_start(uint64_t hartid, uint64_t start_pa, uint64_t opaque) {
  return call(EXT_HSM, 0, hartid, start_pa, opaque).error;
}

long hart_status(uint64_t hartid) {
  Ret r = call(EXT_HSM, 2, hartid);
  return r.error ? r.error : r.value;
}

// A hart mask: bit i names hart mask_base + i (here: one hart).
void send_ipi(uint64_t hartid) { call(EXT_IPI, 0, 1, hartid); }

void system_reset(bool failure) {
  // type 0 = shutdown; reason 1 = system failure.
  call(EXT_SRST, 0, 0, failure ? 1 : 0);
  for (;;) wfi();
}

}  // namespace arch::sbi
