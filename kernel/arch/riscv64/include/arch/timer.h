// The per-hart tick: an SBI timer interrupt every tick_interval timebase units.
#pragma once
#include <stdint.h>

namespace timer {

constexpr uint64_t TICK_HZ = 100;

void init(uint64_t timebase_hz);  // remembers the frequency (from the DTB)
void start_this_hart();           // arm the first tick and enable STIE
void handle_irq();                // called from the trap path on a timer interrupt
uint64_t now();                   // timebase units since reset
uint64_t timebase_hz();
uint64_t ticks();  // ticks taken on this hart

}  // namespace timer
