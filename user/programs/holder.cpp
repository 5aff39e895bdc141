// holder N: creates N/2 channels (N handles), tells its parent it is ready
// through its startup channel (if any), then blocks reading it until killed
// or the parent closes it. Used to show that a process dying with many
// handles frees every one of them.
#include "keel.h"

int main(int argc, char** argv) {
  int n = 1000;
  if (argc > 1) {
    n = 0;
    for (const char* s = argv[1]; *s >= '0' && *s <= '9'; s++) n = n * 10 + (*s - '0');
  }
  for (int i = 0; i < n / 2; i++) {
    keel_handle_t a, b;
    if (keel::channel_create(&a, &b) < 0) return 1;
    // Leave a message with a handle inside some of them, for good measure.
    if (i % 10 == 0) {
      keel_handle_t x, y;
      if (keel::channel_create(&x, &y) == KEEL_OK) keel::channel_write(a, "h", 1, &x, 1);
      (void)y;
    }
  }
  keel_handle_t ctl = keel::startup_handle(0);
  if (ctl != KEEL_HANDLE_INVALID) {
    keel::channel_write(ctl, "ready", 5);
    char buf[8];
    size_t got;
    keel::read_message(ctl, buf, sizeof(buf), &got);  // until killed or closed
  }
  return 0;
}
