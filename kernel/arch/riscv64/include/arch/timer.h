// The per-hart tick: an SBI timer interrupt every tick_interval timebase units.
#pragma once
#include <arch/csr.h>
#include <stdint.h>

namespace timer {

constexpr uint64_t TICK_HZ = 100;

void init(uint64_t timebase_hz);                  // remembers the frequency (from the DTB)
void start_this_hart();                           // arm the first tick and enable STIE
void handle_irq();                                // called from the trap path on a timer interrupt
inline uint64_t now() { return arch::r_time(); }  // timebase units since reset
uint64_t timebase_hz();
// Timebase units in a millisecond, rounded up (a timeout built from it never
// ends early). Read on every timed syscall, so it is kept ready.
extern uint64_t units_per_ms;
uint64_t ticks();  // ticks taken on this hart

}  // namespace timer
