#include "console.h"

#include "dev/uart.h"
#include "sched/wait_queue.h"

namespace console {
namespace {
WaitQueue readers;
}

void input_arrived() {
  SpinGuard g(readers.lock());
  readers.wake_all_locked();
}

libk::Result<size_t> read(char* buf, size_t cap, Deadline deadline) {
  if (cap == 0) return size_t{0};
  SpinGuard g(readers.lock());
  for (;;) {
    size_t n = 0;
    while (n < cap) {
      int c = uart::getc();
      if (c < 0) break;
      buf[n++] = static_cast<char>(c);
    }
    if (n) return n;
    if (deadline.is_poll()) return libk::err(ERR_SHOULD_WAIT);
    TRY(readers.block_locked(deadline));
  }
}

}  // namespace console
