// When a blocking call gives up: one type for every blocking call, so "0"
// can no longer mean "do not wait" in one place and "forever" in another.
//   Deadline::poll()     do not wait at all (the caller gets ERR_SHOULD_WAIT
//                        or ERR_TIMED_OUT, as its contract says)
//   Deadline::never()    wait until woken or killed
//   Deadline::at(tick)   wait until the scheduler's tick count reaches tick
#pragma once
#include <stdint.h>

class Deadline {
 public:
  static constexpr Deadline poll() { return Deadline(POLL); }
  static constexpr Deadline never() { return Deadline(NEVER); }
  // A tick of 0 (or any tick already past) ends the wait at the next check.
  static constexpr Deadline at(uint64_t tick) {
    return Deadline(tick == POLL ? 1 : tick == NEVER ? NEVER - 1 : tick);
  }

  constexpr bool is_poll() const { return tick_ == POLL; }
  constexpr bool is_never() const { return tick_ == NEVER; }
  // The tick it ends at (is_poll() and is_never() have none).
  constexpr uint64_t tick() const { return tick_; }

 private:
  static constexpr uint64_t POLL = 0, NEVER = UINT64_MAX;
  constexpr explicit Deadline(uint64_t t) : tick_(t) {}
  uint64_t tick_;
};
