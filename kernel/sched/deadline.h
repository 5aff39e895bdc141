// When a blocking call gives up: one type for every blocking call, so "0"
// can no longer mean "do not wait" in one place and "forever" in another.
//   Deadline::poll()     do not wait at all (the caller gets ERR_SHOULD_WAIT
//                        or ERR_TIMED_OUT, as its contract says)
//   Deadline::never()    wait until woken or killed
//   Deadline::at(time)   wait until the clock (timer::now(), timebase units)
//                        reaches time
// A deadline is a point of the clock, never a count of ticks: ticks can
// arrive late and catch up on a busy host, so a tick count runs behind the
// clock and a wait measured in ticks could end before its time had passed.
#pragma once
#include <stdint.h>

class Deadline {
 public:
  static constexpr Deadline poll() { return Deadline(POLL); }
  static constexpr Deadline never() { return Deadline(NEVER); }
  // A time of 0 (or any time already past) ends the wait at the next check.
  static constexpr Deadline at(uint64_t time) {
    return Deadline(time == POLL ? 1 : time == NEVER ? NEVER - 1 : time);
  }

  constexpr bool is_poll() const { return time_ == POLL; }
  constexpr bool is_never() const { return time_ == NEVER; }
  // The clock time it ends at (is_poll() and is_never() have none).
  constexpr uint64_t time() const { return time_; }

 private:
  static constexpr uint64_t POLL = 0, NEVER = UINT64_MAX;
  constexpr explicit Deadline(uint64_t t) : time_(t) {}
  uint64_t time_;
};
