// forkbomb: spawns itself in a loop, for ever; every copy does the same.
// Only its job's quota bounds it (the shell runs each command in a job of
// its own): once a spawn is refused, each copy waits a little and tries
// again, and the first copy says once what stopped it. Ctrl-C or `kill %N`
// kills the job, and with it every copy.
#include "keel.h"

int main(int argc, char**) {
  bool first = argc < 2;
  const char* args[] = {"copy"};
  bool told = false;
  for (;;) {
    keel_handle_t h;
    int64_t r = keel::spawn("forkbomb", args, 1, nullptr, 0, &h);
    if (r == KEEL_OK) {
      keel::handle_close(h);  // the copy runs on; the job holds it, not us
      continue;
    }
    if (first && !told) {
      keel::printf("forkbomb: a spawn was refused (%s): the job's quota holds; still trying\n",
                   keel_status_name(static_cast<int32_t>(r)));
      told = true;
    }
    keel::sleep_ms(100);
  }
}
