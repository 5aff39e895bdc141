// caller: sends one request with channel_call on its startup handle 0 and
// waits for the reply with no time limit. Nobody answers: it is there to be
// killed while blocked in the call.
#include "keel.h"

int main(int, char**) {
  char reply[16];
  keel_channel_call_args c{};
  c.wr_bytes = "call";
  c.wr_num_bytes = 4;
  c.rd_bytes = reply;
  c.rd_bytes_cap = sizeof(reply);
  c.timeout_ms = KEEL_TIMEOUT_INFINITE;
  return keel::channel_call(keel::startup_handle(0), &c) == KEEL_OK ? 0 : 1;
}
