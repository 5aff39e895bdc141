// Stop the machine. On QEMU virt this is the SiFive test device: writing
// 0x5555 exits QEMU with status 0, (code << 16) | 0x3333 with status `code`.
// Tests report pass/fail through this.
#pragma once
#include <stdint.h>

enum ExitCode : uint32_t {
  EXIT_SUCCESS_CODE = 0,
  EXIT_TEST_FAILED = 1,
  EXIT_PANIC = 3,
};

void platform_exit_init(uintptr_t test_device_pa);
[[noreturn]] void platform_exit(uint32_t code);
