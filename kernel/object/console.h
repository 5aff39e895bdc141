// The console as user space sees it: blocking reads of UART input.
#pragma once
#include <libk/result.h>
#include <stddef.h>
#include <stdint.h>

#include "sched/deadline.h"

namespace console {

// The UART's input listener (main registers it): input was queued.
void input_arrived();
// Read at least one byte (up to cap) of console input, waiting until the
// deadline (Deadline::poll(): do not wait). ERR_SHOULD_WAIT,
// ERR_TIMED_OUT, ERR_INTERRUPTED.
libk::Result<size_t> read(char* buf, size_t cap, Deadline deadline);

}  // namespace console
