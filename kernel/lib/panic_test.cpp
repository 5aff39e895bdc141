// The panic path takes no lock a normal path holds: a panic while the
// console's output lock is held (say, a fault inside putc) still prints its
// report and stops the machine. Run alone (test=panic.with_output_lock_held);
// test/qemu/meson.build expects the report and the panic exit status.
#include "lib/panic.h"

#include "dev/uart.h"
#include "ktest/ktest.h"

KTEST("panic.with_output_lock_held") {
  kprintf("# panic test: taking the output lock and panicking\n");
  uart::hold_output_lock_for_test();
  panic("raised while the output lock is held");
}
