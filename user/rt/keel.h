// The user runtime: syscall stubs, printing, a heap, process start.
#pragma once
#include <keel/syscall.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <type_traits>

namespace keel {

inline int64_t syscall6(uint64_t n, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0,
                        uint64_t a3 = 0, uint64_t a4 = 0, uint64_t a5 = 0) {
  register uint64_t r0 asm("a0") = a0;
  register uint64_t r1 asm("a1") = a1;
  register uint64_t r2 asm("a2") = a2;
  register uint64_t r3 asm("a3") = a3;
  register uint64_t r4 asm("a4") = a4;
  register uint64_t r5 asm("a5") = a5;
  register uint64_t r7 asm("a7") = n;
  // t0..t6 as clobbered, as the register IPC calls need; but those calls
  // also answer in a1..a6, which this stub does not declare: make them with
  // keel::ipc (below), never through here.
  asm volatile("ecall"
               : "+r"(r0)
               : "r"(r1), "r"(r2), "r"(r3), "r"(r4), "r"(r5), "r"(r7)
               : "memory", "t0", "t1", "t2", "t3", "t4", "t5", "t6");
  return static_cast<int64_t>(r0);
}

// A register message (SYS_IPC_CALL, SYS_IPC_REPLY_WAIT): in, what to send
// (bytes = KEEL_IPC_NO_REPLY: nothing, for a server's first wait); out, what
// came back, or with ERR_BUFFER_TOO_SMALL the sizes of the message left queued.
struct IpcMessage {
  uint64_t w[KEEL_IPC_WORDS];
  uint64_t bytes;
  uint64_t handles;  // out: nonzero only with ERR_BUFFER_TOO_SMALL
};

inline int64_t ipc(uint64_t n, keel_handle_t h, IpcMessage& m, uint64_t timeout_ms) {
  register uint64_t r0 asm("a0") = h;
  register uint64_t r1 asm("a1") = m.w[0];
  register uint64_t r2 asm("a2") = m.w[1];
  register uint64_t r3 asm("a3") = m.w[2];
  register uint64_t r4 asm("a4") = m.w[3];
  register uint64_t r5 asm("a5") = m.bytes;
  register uint64_t r6 asm("a6") = timeout_ms;
  register uint64_t r7 asm("a7") = n;
  asm volatile("ecall"
               : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3), "+r"(r4), "+r"(r5), "+r"(r6)
               : "r"(r7)
               : "memory", "t0", "t1", "t2", "t3", "t4", "t5", "t6");  // not preserved
  m.w[0] = r1;
  m.w[1] = r2;
  m.w[2] = r3;
  m.w[3] = r4;
  m.bytes = r5;
  m.handles = r6;
  return static_cast<int64_t>(r0);
}
// Send m and wait for the reply into m.
inline int64_t ipc_call(keel_handle_t h, IpcMessage& m, uint64_t timeout_ms) {
  return ipc(SYS_IPC_CALL, h, m, timeout_ms);
}
// Reply with m (unless m.bytes is KEEL_IPC_NO_REPLY), then wait for the next message into m.
inline int64_t ipc_reply_wait(keel_handle_t h, IpcMessage& m, uint64_t timeout_ms) {
  return ipc(SYS_IPC_REPLY_WAIT, h, m, timeout_ms);
}

template <typename T>
inline uint64_t u(T v) {
  if constexpr (std::is_pointer_v<T>)
    return reinterpret_cast<uint64_t>(v);
  else
    return static_cast<uint64_t>(v);
}

// How long a program waits for something that must happen (a reply, a
// child's exit): a bound that catches a hang, never a measure of speed.
// Generous on purpose: the host QEMU runs on may be loaded, and guest time
// follows the host clock.
constexpr uint64_t PATIENCE_MS = 120000;

// Typed stubs: one per syscall; the status is the return value.
inline int64_t sys_null() { return syscall6(SYS_NULL); }
[[noreturn]] void exit(int64_t code);
inline int64_t yield() { return syscall6(SYS_YIELD); }
inline int64_t sleep_ms(uint64_t ms) { return syscall6(SYS_SLEEP_MS, ms); }
uint64_t clock_ms();
inline int64_t debug_write(const char* s, size_t n) { return syscall6(SYS_DEBUG_WRITE, u(s), n); }
inline int64_t debug_read(char* buf, size_t cap, size_t* actual, uint64_t timeout_ms) {
  return syscall6(SYS_DEBUG_READ, u(buf), cap, u(actual), timeout_ms);
}
inline int64_t kstat_read(char* buf, size_t cap, size_t* actual) {
  return syscall6(SYS_KSTAT_READ, u(buf), cap, u(actual));
}
inline int64_t vm_alloc(size_t size, uint32_t perms, uintptr_t* out) {
  return syscall6(SYS_VM_ALLOC, size, perms, u(out));
}
inline int64_t vm_free(uintptr_t addr, size_t size) { return syscall6(SYS_VM_FREE, addr, size); }
inline int64_t handle_close(keel_handle_t h) { return syscall6(SYS_HANDLE_CLOSE, h); }
inline int64_t handle_duplicate(keel_handle_t h, uint32_t rights, keel_handle_t* out) {
  return syscall6(SYS_HANDLE_DUPLICATE, h, rights, u(out));
}
inline int64_t object_info(keel_handle_t h, keel_object_info* out) {
  return syscall6(SYS_OBJECT_INFO, h, u(out));
}
inline int64_t channel_create(keel_handle_t* a, keel_handle_t* b) {
  return syscall6(SYS_CHANNEL_CREATE, u(a), u(b));
}
inline int64_t channel_write(keel_handle_t h, const void* bytes, size_t n,
                             const keel_handle_t* handles = nullptr, size_t nh = 0) {
  return syscall6(SYS_CHANNEL_WRITE, h, u(bytes), n, u(handles), nh);
}
inline int64_t channel_read(keel_handle_t h, keel_channel_read_args* args) {
  return syscall6(SYS_CHANNEL_READ, h, u(args));
}
inline int64_t channel_call(keel_handle_t h, keel_channel_call_args* args) {
  return syscall6(SYS_CHANNEL_CALL, h, u(args));
}
inline int64_t process_spawn(const keel_spawn_args* args, keel_handle_t* out) {
  return syscall6(SYS_PROCESS_SPAWN, u(args), u(out));
}
inline int64_t process_kill(keel_handle_t h) { return syscall6(SYS_PROCESS_KILL, h); }
inline int64_t process_start(keel_handle_t h) { return syscall6(SYS_PROCESS_START, h); }
inline int64_t process_wait(keel_handle_t h, int64_t* code, uint64_t timeout_ms) {
  return syscall6(SYS_PROCESS_WAIT, h, u(code), timeout_ms);
}
inline int64_t process_list(keel_handle_t dir, uint64_t* pids, size_t cap, size_t* actual,
                            uint64_t after = 0) {
  return syscall6(SYS_PROCESS_LIST, dir, u(pids), cap, u(actual), after);
}
inline int64_t process_open(keel_handle_t dir, uint64_t pid, keel_handle_t* out,
                            keel_handle_t notify = KEEL_HANDLE_INVALID) {
  return syscall6(SYS_PROCESS_OPEN, dir, pid, u(out), notify);
}
inline int64_t poweroff(keel_handle_t dir, uint32_t status) {
  return syscall6(SYS_POWEROFF, dir, status);
}
inline int64_t system_audit(keel_handle_t dir) { return syscall6(SYS_SYSTEM_AUDIT, dir); }
// Make the kernel's nth allocation from now fail (nth 0: disarm); *injected
// is how many failed on purpose since the previous call.
inline int64_t fault_inject(keel_handle_t dir, uint64_t nth, uint64_t every, uint64_t* injected) {
  return syscall6(SYS_FAULT_INJECT, dir, nth, every, u(injected));
}

// Jobs (KEEL_HANDLE_INVALID for a job: the caller's own).
inline int64_t job_create(keel_handle_t parent, const keel_job_limits* limits, keel_handle_t* out) {
  return syscall6(SYS_JOB_CREATE, parent, u(limits), u(out));
}
inline int64_t job_kill(keel_handle_t job) { return syscall6(SYS_JOB_KILL, job); }
inline int64_t job_list(keel_handle_t job, uint64_t* pids, size_t cap, size_t* actual,
                        uint64_t after = 0) {
  return syscall6(SYS_JOB_LIST, job, u(pids), cap, u(actual), after);
}
inline int64_t job_open(keel_handle_t job, uint64_t pid, keel_handle_t* out) {
  return syscall6(SYS_JOB_OPEN, job, pid, u(out));
}

// Tasks of this process (the raw calls; see Thread below for a stack and a trampoline).
inline int64_t task_create(uintptr_t pc, uintptr_t sp, uint64_t arg, keel_handle_t* out) {
  return syscall6(SYS_TASK_CREATE, pc, sp, arg, u(out));
}
[[noreturn]] inline void task_exit(int64_t code) {
  syscall6(SYS_TASK_EXIT, u(code));
  __builtin_unreachable();
}
inline int64_t task_kill(keel_handle_t h) { return syscall6(SYS_TASK_KILL, h); }
inline int64_t task_wait(keel_handle_t h, int64_t* code, uint64_t timeout_ms) {
  return syscall6(SYS_TASK_WAIT, h, u(code), timeout_ms);
}

// A task running fn(arg) on a stack of its own; fn's return value is its
// exit code. printf and malloc are not safe in two tasks at once: keep them
// to one task.
struct Thread {
  keel_handle_t handle = KEEL_HANDLE_INVALID;
  uintptr_t stack = 0;
  size_t stack_size = 0;
};
int64_t thread_start(Thread& t, int64_t (*fn)(void*), void* arg, size_t stack_size = 16384);
// task_wait, then the stack is freed (only once the task has ended).
int64_t thread_join(Thread& t, int64_t* code, uint64_t timeout_ms = KEEL_TIMEOUT_INFINITE);

// Spawn `name` with the given argv (argv[0] = name is added) and handles,
// into `job` (KEEL_HANDLE_INVALID: the caller's own), with keel_spawn_args
// flags (KEEL_SPAWN_SUSPENDED: process_start runs it).
int64_t spawn(const char* name, const char* const* args, size_t nargs, const keel_handle_t* handles,
              size_t nh, keel_handle_t* out, keel_handle_t job = KEEL_HANDLE_INVALID,
              uint32_t flags = 0);

// Simple channel helpers (non-blocking when timeout_ms is 0).
int64_t read_message(keel_handle_t ch, void* buf, size_t cap, size_t* actual,
                     keel_handle_t* handles = nullptr, size_t hcap = 0, size_t* hactual = nullptr,
                     uint64_t timeout_ms = KEEL_TIMEOUT_INFINITE);

// Output.
__attribute__((format(printf, 1, 2))) int printf(const char* fmt, ...);
int vprintf(const char* fmt, va_list ap);
void puts(const char* s);
void flush();

// Heap on vm_alloc.
void* malloc(size_t n);
void free(void* p);

// The handles this process was started with.
keel_handle_t startup_handle(size_t i);
size_t startup_handle_count();

// kstat: read every counter; value of one by name.
struct KstatSnapshot {
  static constexpr size_t MAX = 64;
  char names[MAX][40];
  int64_t values[MAX];
  size_t count;
};
int64_t kstat_snapshot(KstatSnapshot& out);
bool kstat_value(const KstatSnapshot& s, const char* name, int64_t* v);
// Did counter `name` move the way a leak moves it? For a *_free counter a
// leak is a fall, for every other counter a rise.
bool kstat_leaked(const char* name, int64_t before, int64_t after);

}  // namespace keel

// Every program defines this.
int main(int argc, char** argv);
