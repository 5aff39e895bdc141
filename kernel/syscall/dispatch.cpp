// The syscall table: a lookup and a call, nothing else on this path.
#include <arch/timer.h>

#include "sched/sched.h"
#include "syscall.h"

namespace syscall {
namespace {
constexpr Handler table[SYS_COUNT] = {
    [SYS_NULL] = sys_null,
    [SYS_EXIT] = sys_exit,
    [SYS_YIELD] = sys_yield,
    [SYS_SLEEP_MS] = sys_sleep_ms,
    [SYS_CLOCK_MS] = sys_clock_ms,
    [SYS_DEBUG_WRITE] = sys_debug_write,
    [SYS_DEBUG_READ] = sys_debug_read,
    [SYS_KSTAT_READ] = sys_kstat_read,
    [SYS_VM_ALLOC] = sys_vm_alloc,
    [SYS_VM_FREE] = sys_vm_free,
    [SYS_HANDLE_CLOSE] = sys_handle_close,
    [SYS_HANDLE_DUPLICATE] = sys_handle_duplicate,
    [SYS_OBJECT_INFO] = sys_object_info,
    [SYS_CHANNEL_CREATE] = sys_channel_create,
    [SYS_CHANNEL_WRITE] = sys_channel_write,
    [SYS_CHANNEL_READ] = sys_channel_read,
    [SYS_CHANNEL_CALL] = sys_channel_call,
    [SYS_PROCESS_SPAWN] = sys_process_spawn,
    [SYS_PROCESS_KILL] = sys_process_kill,
    [SYS_PROCESS_WAIT] = sys_process_wait,
    [SYS_PROCESS_LIST] = sys_process_list,
    [SYS_PROCESS_OPEN] = sys_process_open,
    [SYS_POWEROFF] = sys_poweroff,
    [SYS_SYSTEM_AUDIT] = sys_system_audit,
    [SYS_FAULT_INJECT] = sys_fault_inject,
    [SYS_TASK_CREATE] = sys_task_create,
    [SYS_TASK_EXIT] = sys_task_exit,
    [SYS_TASK_KILL] = sys_task_kill,
    [SYS_TASK_WAIT] = sys_task_wait,
    [SYS_IPC_CALL] = nullptr,  // reg_table's
    [SYS_IPC_REPLY_WAIT] = nullptr,
    [SYS_JOB_CREATE] = sys_job_create,
    [SYS_JOB_KILL] = sys_job_kill,
    [SYS_JOB_LIST] = sys_job_list,
    [SYS_JOB_OPEN] = sys_job_open,
    [SYS_PROCESS_START] = sys_process_start,
};
// The register IPC calls (full-frame syscalls: ASM_SYSCALL_FULL_FIRST/COUNT).
constexpr uint64_t FIRST_REG = SYS_IPC_CALL, END_REG = SYS_IPC_REPLY_WAIT + 1;
constexpr RegHandler reg_table[END_REG - FIRST_REG] = {
    [SYS_IPC_CALL - FIRST_REG] = sys_ipc_call,
    [SYS_IPC_REPLY_WAIT - FIRST_REG] = sys_ipc_reply_wait,
};
}  // namespace

int64_t dispatch(arch::TrapFrame& tf) {
  uint64_t n = tf.x[17];  // a7
  if (n >= FIRST_REG && n < END_REG)
    return reg_table[n - FIRST_REG](*reinterpret_cast<RegArgs*>(&tf.a(0)));
  if (n >= SYS_COUNT || !table[n]) return ERR_UNSUPPORTED;
  // a0..a5 are x[10..15], in order: the arguments are read where they are.
  return table[n](*reinterpret_cast<const Args*>(&tf.a(0)));
}

uint64_t ms_since_boot() { return timer::now() / (timer::timebase_hz() / 1000); }

}  // namespace syscall
