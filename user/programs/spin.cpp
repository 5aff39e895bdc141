// spin: a busy loop that never yields and never makes a syscall; only
// preemption lets anything else run, only kill ends it.
#include "keel.h"

int main(int, char**) {
  volatile uint64_t n = 0;
  for (;;) n = n + 1;
}
