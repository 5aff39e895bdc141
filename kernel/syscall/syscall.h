// The syscall layer: decode and check every argument, then call into the
// object layer. Handlers are thin; none leaves partial state on error.
#pragma once
#include <keel/syscall.h>
#include <libk/result.h>
#include <stdint.h>

#include "arch/riscv64/trap_frame.h"
#include "object/process.h"

namespace syscall {

// Run the syscall in a7 with arguments a0..a5; the status for a0.
int64_t dispatch(arch::TrapFrame& tf);

// The process of the calling task.
Process& current_process();
// Milliseconds from user space to a scheduler deadline (0: do not wait,
// UINT64_MAX: no deadline).
uint64_t deadline_from_ms(uint64_t timeout_ms);
uint64_t ms_since_boot();

using Handler = int64_t (*)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

// Status of a Result<void>/Result<T> as a syscall return value.
template <typename R>
int64_t status(const R& r) {
  return r.is_error() ? static_cast<int64_t>(r.error()) : 0;
}

// Handlers, one file per area (sys_*.cpp).
int64_t sys_null(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_exit(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_yield(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_sleep_ms(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_clock_ms(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_debug_write(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_debug_read(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_kstat_read(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_vm_alloc(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_vm_free(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_handle_close(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_handle_duplicate(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_object_info(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_channel_create(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_channel_write(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_channel_read(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_channel_call(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_process_spawn(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_process_kill(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_process_wait(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_process_list(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_process_open(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_poweroff(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_system_audit(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
int64_t sys_fault_inject(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

// A handle argument is the whole register: keel_handle_t is 64 bits, so no
// value is truncated into another; HandleTable::lookup() judges every bit.
static_assert(sizeof(keel_handle_t) == sizeof(uint64_t));

}  // namespace syscall

#define SYSCALL_ARGS uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5
#define SYSCALL_UNUSED (void)a0, (void)a1, (void)a2, (void)a3, (void)a4, (void)a5
