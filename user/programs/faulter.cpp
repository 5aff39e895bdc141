// faulter: touches an unmapped address. The kernel must kill this process
// (and only it) and report the fault; exit status KEEL_EXIT_FAULT.
#include "keel.h"

int main(int argc, char**) {
  volatile uint64_t* bad = reinterpret_cast<volatile uint64_t*>(argc > 5 ? 0x1000 : 0x10);
  return static_cast<int>(*bad);
}
