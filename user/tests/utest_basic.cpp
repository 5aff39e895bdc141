// Syscalls that touch no handles: null, yield, sleep, clock, console,
// kstat, vm_alloc/vm_free, and an unknown number. Every bad pointer kind.
#include <libk/format.h>
#include <libk/string.h>

#include "common.h"

using keel::syscall6;

int main(int, char**) {
  tap::plan(34);
  uint8_t* page = utest::scratch();
  keel::KstatSnapshot base;
  tap::baseline(base);
  size_t nbad;
  const utest::BadPointer* bad = utest::bad_pointers(&nbad);

  tap::expect_status(keel::sys_null(), KEEL_OK, "null syscall");
  tap::expect_status(syscall6(SYS_COUNT + 5), ERR_UNSUPPORTED, "unknown syscall number");
  tap::expect_status(syscall6(~0ull), ERR_UNSUPPORTED, "syscall number -1");
  tap::expect_status(keel::yield(), KEEL_OK, "yield");

  uint64_t t0 = keel::clock_ms();
  tap::expect_status(keel::sleep_ms(50), KEEL_OK, "sleep 50 ms");
  uint64_t t1 = keel::clock_ms();
  tap::ok(t1 >= t0 + 50, "clock advanced by at least the sleep (%lu ms)", t1 - t0);
  for (size_t i = 0; i < nbad; i++) {
    char what[64];
    libk::format(what, sizeof(what), "clock_ms into %s", bad[i].what);
    tap::expect_status(syscall6(SYS_CLOCK_MS, bad[i].addr), ERR_INVALID_ARGS, what);
  }

  tap::expect_status(keel::debug_write("# console write works\n", 22), KEEL_OK, "debug_write");
  int bad_writes = 0;
  for (size_t i = 0; i < nbad; i++)
    if (!bad[i].only_for_aligned &&
        keel::debug_write(reinterpret_cast<char*>(bad[i].addr), 16) != ERR_INVALID_ARGS)
      bad_writes++;
  tap::ok(bad_writes == 0, "debug_write from NULL/kernel/unmapped/crossing -> ERR_INVALID_ARGS");
  tap::expect_status(keel::debug_write(reinterpret_cast<char*>(page), 1 << 20), ERR_OUT_OF_RANGE,
                     "debug_write of 1 MiB");
  size_t got = 0;
  tap::expect_status(keel::debug_read(reinterpret_cast<char*>(page), 16, &got, 0), ERR_SHOULD_WAIT,
                     "debug_read with no input and no wait");
  tap::expect_status(keel::debug_read(reinterpret_cast<char*>(page), 16, &got, 30), ERR_TIMED_OUT,
                     "debug_read times out");
  tap::expect_status(
      keel::debug_read(reinterpret_cast<char*>(page), 16, reinterpret_cast<size_t*>(page + 1), 0),
      ERR_INVALID_ARGS, "debug_read with a misaligned out pointer");

  static char text[4096];
  size_t len = 0;
  tap::expect_status(keel::kstat_read(text, sizeof(text), &len), KEEL_OK, "kstat_read");
  tap::ok(len > 0 && libk::starts_with(text, "frames_total "),
          "kstat text starts with frames_total");
  tap::expect_status(keel::kstat_read(text, 8, &len), ERR_BUFFER_TOO_SMALL,
                     "kstat_read into 8 bytes");
  tap::ok(len > 8, "kstat_read reports the size it needs (%zu)", len);
  tap::expect_status(keel::kstat_read(reinterpret_cast<char*>(bad[1].addr), 4096, &len),
                     ERR_INVALID_ARGS, "kstat_read into kernel memory");
  tap::expect_status(keel::kstat_read(text, sizeof(text), reinterpret_cast<size_t*>(bad[3].addr)),
                     ERR_INVALID_ARGS, "kstat_read size out pointer crossing into the kernel");

  uintptr_t addr = 0;
  tap::expect_status(keel::vm_alloc(3 * 4096, KEEL_VM_READ | KEEL_VM_WRITE, &addr), KEEL_OK,
                     "vm_alloc 12 KiB");
  reinterpret_cast<volatile uint8_t*>(addr)[3 * 4096 - 1] = 7;
  tap::expect_status(keel::vm_free(addr, 3 * 4096), KEEL_OK, "vm_free it");
  tap::expect_status(keel::vm_free(addr, 3 * 4096), ERR_NOT_FOUND, "vm_free it again");
  tap::expect_status(keel::vm_alloc(4096, KEEL_VM_READ | KEEL_VM_WRITE | KEEL_VM_EXEC, &addr),
                     ERR_ACCESS_DENIED, "vm_alloc writable and executable");
  tap::expect_status(keel::vm_alloc(0, KEEL_VM_READ, &addr), ERR_INVALID_ARGS,
                     "vm_alloc of 0 bytes");
  tap::expect_status(keel::vm_alloc(1ull << 40, KEEL_VM_READ, &addr), ERR_INVALID_ARGS,
                     "vm_alloc of 1 TiB");
  tap::expect_status(keel::vm_alloc(4096, 0x80, &addr), ERR_INVALID_ARGS,
                     "vm_alloc with unknown flags");
  tap::expect_status(keel::vm_alloc(4096, KEEL_VM_READ, reinterpret_cast<uintptr_t*>(bad[2].addr)),
                     ERR_INVALID_ARGS, "vm_alloc out pointer unmapped (nothing mapped)");
  tap::expect_status(keel::vm_free(reinterpret_cast<uintptr_t>(page) + 1, 4096), ERR_INVALID_ARGS,
                     "vm_free misaligned");
  tap::expect_status(keel::vm_free(0xffffffff80200000ull, 4096), ERR_INVALID_ARGS,
                     "vm_free of kernel memory");

  tap::at_baseline(base, "after the basic syscalls");
  return tap::done();
}
