// Keel's system call ABI, shared by the kernel and user space.
//
// Calling convention: `ecall` with a7 = syscall number, a0..a5 = arguments;
// the kernel returns a keel_status in a0 (KEEL_OK or a negative error).
// Values come back through out pointers, which the kernel checks like every
// other user pointer (range, alignment, mapping): a bad one is
// ERR_INVALID_ARGS and nothing else happens.
#pragma once
#include <keel/status.h>
#include <stddef.h>
#include <stdint.h>

// A handle value names one slot of the calling process's handle table. It
// is 64 bits wide: the slot index in the low 13 bits, a 50-bit generation
// above it, bit 63 always 0 (so a value is never negative) and 0 never a
// handle. Guarantee: once a handle is closed, moved away or consumed, its
// value never names anything again in that process: every use of it returns
// ERR_BAD_HANDLE, whatever has happened to the slot since. Each close moves
// the slot's generation on by one; a slot must be closed 2^50 - 1 (about
// 1.1e15) times to use up its generations, which at ten million closes a
// second takes about 3.6 years, and a slot that does use them up is retired
// (never reused) rather than repeating a value. A forged value is refused
// the same way unless it happens to equal a live one.
typedef uint64_t keel_handle_t;
#define KEEL_HANDLE_INVALID ((keel_handle_t)0)

enum keel_syscall_number : uint64_t {
  SYS_NULL = 0,               // () : does nothing; the cheapest round trip
  SYS_EXIT = 1,               // (int64_t code) : never returns
  SYS_YIELD = 2,              // ()
  SYS_SLEEP_MS = 3,           // (uint64_t ms) : ERR_INTERRUPTED if killed meanwhile
  SYS_CLOCK_MS = 4,           // (uint64_t* out_ms) : milliseconds since boot
  SYS_DEBUG_WRITE = 5,        // (const char* buf, size_t len) : to the console
  SYS_DEBUG_READ = 6,         // (char* buf, size_t cap, size_t* actual, uint64_t timeout_ms)
  SYS_KSTAT_READ = 7,         // (char* buf, size_t cap, size_t* actual) : "name value\n" lines
  SYS_VM_ALLOC = 8,           // (size_t size, uint32_t perms, uintptr_t* out_addr)
  SYS_VM_FREE = 9,            // (uintptr_t addr, size_t size) : exactly one earlier allocation
  SYS_HANDLE_CLOSE = 10,      // (keel_handle_t h)
  SYS_HANDLE_DUPLICATE = 11,  // (keel_handle_t h, uint32_t rights, keel_handle_t* out)
  SYS_OBJECT_INFO = 12,       // (keel_handle_t h, keel_object_info* out) : needs INSPECT
  SYS_CHANNEL_CREATE = 13,    // (keel_handle_t* out0, keel_handle_t* out1)
  SYS_CHANNEL_WRITE = 14,  // (h, const void* bytes, size_t n, const keel_handle_t* hs, size_t nh)
  SYS_CHANNEL_READ = 15,   // (keel_handle_t h, keel_channel_read_args* args)
  SYS_CHANNEL_CALL = 16,   // (keel_handle_t h, keel_channel_call_args* args)
  SYS_PROCESS_SPAWN = 17,  // (const keel_spawn_args* args, keel_handle_t* out_process)
  SYS_PROCESS_KILL = 18,   // (keel_handle_t process) : needs KILL
  SYS_PROCESS_WAIT = 19,   // (keel_handle_t process, int64_t* out_code, uint64_t timeout_ms)
  // (keel_handle_t dir, uint64_t* pids, size_t cap, size_t* actual, uint64_t after) : the pids
  // above `after` (0: all), ascending; *actual = how many there are (ERR_BUFFER_TOO_SMALL if
  // more than cap: the first cap were written). cap is at most 4096: page with `after`.
  SYS_PROCESS_LIST = 20,
  // (keel_handle_t dir, uint64_t pid, keel_handle_t* out_observer, keel_handle_t notify):
  // an INSPECT-only observer of a running process. notify (KEEL_HANDLE_INVALID: none) is a
  // channel endpoint the caller reads (needs READ): when the process exits and the observer
  // is revoked, a keel_exit_notice arrives in that endpoint's own queue, as if its peer had
  // sent it. (Whoever holds the peer can send the same bytes: a notice means "look again".)
  SYS_PROCESS_OPEN = 21,
  SYS_POWEROFF = 22,      // (keel_handle_t dir, uint32_t status) : needs POWER; low 8 bits
  SYS_SYSTEM_AUDIT = 23,  // (keel_handle_t dir) : needs AUDIT; runs the kernel's orphan audit
                          // now and returns how many orphans it found (>= 0)
  // (keel_handle_t dir, uint64_t nth, uint64_t every, uint64_t* out_injected): needs
  // FAULT_INJECT. Writes how many allocations failed on purpose since the last call, then
  // makes the kernel's nth frame or slab allocation from now fail with ERR_NO_MEMORY (and
  // each every-th after it, if every > 0), whoever makes it; nth 0 disarms.
  SYS_FAULT_INJECT = 24,
  // Tasks of one process: they share its address space and handle table.
  // (uintptr_t entry, uintptr_t stack_top, uint64_t arg, keel_handle_t* out_task): a new task
  // of the caller's process starts at entry with a0 = arg and sp = stack_top (16-byte
  // aligned; the caller maps the stack); out_task gets a handle with KEEL_TASK_RIGHTS.
  // ERR_BAD_STATE if the process is exiting; ERR_OUT_OF_RANGE past KEEL_MAX_TASKS_PER_PROCESS.
  SYS_TASK_CREATE = 25,
  // (int64_t code) : never returns. Ends the calling task only (SYS_EXIT ends the whole
  // process); if it was the last, the process exits with `code`.
  SYS_TASK_EXIT = 26,
  SYS_TASK_KILL = 27,  // (keel_handle_t task) : needs KILL; the task alone ends (KEEL_EXIT_KILLED)
  // (keel_handle_t task, int64_t* out_code, uint64_t timeout_ms) : needs WAIT. Returns once
  // the task has ended and its kernel stack is freed; consumes the handle on success.
  SYS_TASK_WAIT = 28,
  // Register IPC: a short message (at most KEEL_IPC_MAX_BYTES, no handles) travels in
  // a1..a4 (bytes in order, little-endian words) with its length in a5; a6 is the timeout
  // in milliseconds (0 is ERR_INVALID_ARGS: both wait). The message is an ordinary channel
  // message: any reader of the peer sees it, and either call receives what channel_write
  // or channel_call sent, if it fits. On return a1..a4 hold the received message (bytes
  // past its length are 0) and a5 its length; with ERR_BUFFER_TOO_SMALL the message stays
  // queued (read it with channel_read), a5 = its bytes and a6 = its handles. t0..t6 are
  // not preserved (the calling convention's temporaries: they come back 0, or as this
  // task left them at one of its earlier traps, never another task's or the kernel's);
  // every other register but a0 is.
  // (keel_handle_t h, w0, w1, w2, w3, n, timeout_ms) : needs READ and WRITE. Sends, then
  // waits for the reply; channel_call's errors. No handles travel, so an error never
  // loses one; ERR_PEER_CLOSED after the send means the request went with the peer.
  SYS_IPC_CALL = 29,
  // (keel_handle_t h, w0, w1, w2, w3, n, timeout_ms) : needs READ (and WRITE to reply).
  // Sends the reply (n = KEEL_IPC_NO_REPLY: none; a server's first wait), then waits for
  // the next message. If the reply cannot be sent, that error comes back and nothing is
  // received. A task blocked here or in SYS_IPC_CALL takes a short message directly from
  // its sender, who switches to it at once when both run on the same hart (the fast path).
  SYS_IPC_REPLY_WAIT = 30,
  // Jobs (see keel_job_limits): every process belongs to one; jobs nest, at most
  // KEEL_JOB_MAX_DEPTH deep. Where a job handle is asked for, KEEL_HANDLE_INVALID means the
  // caller's own job (no rights needed: a process may always spawn into and make jobs under
  // its own job, within its quota).
  // (keel_handle_t parent, const keel_job_limits* limits, keel_handle_t* out_job): needs
  // SPAWN on parent. A new child job with the given limits (0: none of its own; every
  // ancestor's still applies). The handle gets KEEL_JOB_RIGHTS. ERR_BAD_STATE if the parent
  // is being killed, ERR_OUT_OF_RANGE past KEEL_JOB_MAX_DEPTH.
  SYS_JOB_CREATE = 31,
  // (keel_handle_t job) : needs KILL. Kills every process in the job and its child jobs,
  // which take no new process from then on, and returns once every one has exited and
  // been torn down (tasks, handles, address spaces). ERR_INTERRUPTED if the caller is
  // killed meanwhile (say, it is in the job). Closing the last handle to a job kills it
  // the same way.
  SYS_JOB_KILL = 32,
  // (keel_handle_t job, uint64_t* pids, size_t cap, size_t* actual, uint64_t after) : needs
  // ENUMERATE. process_list's contract, for the processes of the job and its child jobs.
  SYS_JOB_LIST = 33,
  // (keel_handle_t job, uint64_t pid, keel_handle_t* out_process) : needs ENUMERATE and KILL.
  // A process handle (KILL | WAIT | INSPECT) to a running process of the job or its child
  // jobs; ERR_NOT_FOUND for any other pid.
  SYS_JOB_OPEN = 34,
  // (keel_handle_t process) : needs START. Starts a process spawned with
  // KEEL_SPAWN_SUSPENDED (made, listed and open to observers, but no task run yet).
  // ERR_BAD_STATE if it was started already, or killed (which starts it, to exit), or
  // while the spawn that made it is still under way (another task of the spawner).
  SYS_PROCESS_START = 35,
  SYS_COUNT
};

// Rights: a handle's mask of what its holder may do. Rights only shrink.
enum keel_rights : uint32_t {
  KEEL_RIGHT_READ = 1u << 0,           // channel_read
  KEEL_RIGHT_WRITE = 1u << 1,          // channel_write
  KEEL_RIGHT_DUPLICATE = 1u << 2,      // handle_duplicate
  KEEL_RIGHT_TRANSFER = 1u << 3,       // send through a channel
  KEEL_RIGHT_INSPECT = 1u << 4,        // object_info
  KEEL_RIGHT_KILL = 1u << 5,           // process_kill, task_kill
  KEEL_RIGHT_WAIT = 1u << 6,           // process_wait, task_wait
  KEEL_RIGHT_ENUMERATE = 1u << 7,      // process_list / process_open
  KEEL_RIGHT_POWER = 1u << 8,          // poweroff
  KEEL_RIGHT_AUDIT = 1u << 9,          // system_audit (a test and debugging facility)
  KEEL_RIGHT_FAULT_INJECT = 1u << 10,  // fault_inject (tests of running out of memory)
  KEEL_RIGHT_SPAWN = 1u << 11,         // process_spawn into a job, job_create under it
  // process_start. Only the spawner's handle has it: never copied (handle_duplicate
  // leaves it out); while the process is suspended the handle does not move
  // (ERR_ACCESS_DENIED), and once it has started it moves without START.
  KEEL_RIGHT_START = 1u << 12,
  KEEL_RIGHTS_ALL = (1u << 13) - 1,
  KEEL_RIGHTS_SAME = 0x80000000u,  // handle_duplicate: keep the source's rights
};

// Object types (keel_object_info.type).
enum keel_object_type : uint32_t {
  KEEL_OBJ_TASK = 1,  // task_create's handle: koid its own, related_koid the process's pid
  KEEL_OBJ_PROCESS = 2,
  KEEL_OBJ_CHANNEL = 3,
  KEEL_OBJ_PROCESS_DIRECTORY = 5,
  KEEL_OBJ_JOB = 7,  // koid its own, related_koid its parent's (0: the root job)
};

enum keel_object_state : uint32_t {
  KEEL_STATE_RUNNING = 1,      // process or task alive
  KEEL_STATE_EXITED = 2,       // process or task exited (exit_code valid)
  KEEL_STATE_OPEN = 3,         // channel with a live peer
  KEEL_STATE_PEER_CLOSED = 4,  // channel whose peer is gone
};

// Exit statuses the kernel gives a process that did not choose its own
// (process_wait, keel_object_info.exit_code). A process may also exit with
// these values itself: they say how it ended only by convention.
#define KEEL_EXIT_KILLED INT64_C(-9)  // process_kill
#define KEEL_EXIT_FAULT INT64_C(-11)  // a fault in user mode that nothing handles

#define KEEL_NAME_MAX 32

// What a live task is doing (keel_object_info.activity); for a process, the
// busiest of its tasks (running, then ready, then blocked, then sleeping).
enum keel_activity : uint32_t {
  KEEL_ACTIVITY_NONE = 0,      // not a task or process, exited, or a process not started yet
  KEEL_ACTIVITY_RUNNING = 1,   // on a hart now
  KEEL_ACTIVITY_READY = 2,     // waiting for a hart
  KEEL_ACTIVITY_BLOCKED = 3,   // waiting for an event (a message, a child, a task, input)
  KEEL_ACTIVITY_SLEEPING = 4,  // in sleep_ms
};

typedef struct keel_object_info {
  uint32_t type;          // keel_object_type
  uint32_t rights;        // of the handle used
  uint64_t koid;          // object id; a process's pid
  uint64_t related_koid;  // process: parent pid; channel: peer koid (0 if closed)
  uint32_t state;         // keel_object_state
  uint32_t activity;      // process or task alive: keel_activity (a process: its busiest task)
  int64_t exit_code;      // process, once exited
  uint64_t tasks;         // process: live tasks; task: its task id
  uint64_t pages;         // process: user pages mapped
  uint64_t handles;       // process: open handles
  char name[KEEL_NAME_MAX];
  // A process: its job, then that job's parent, and so on up to the root job (0 after it).
  // A job: itself, then its ancestors. For a job, tasks/pages/handles are what its
  // subtree holds (processes not yet torn down, frames, handles): its quota's usage.
  uint64_t job_path[8];  // KEEL_JOB_MAX_DEPTH
} keel_object_info;

// Limits.
#define KEEL_CHANNEL_MAX_BYTES 4096u
#define KEEL_CHANNEL_MAX_HANDLES 16u
#define KEEL_CHANNEL_MAX_QUEUED 256u  // messages waiting on one endpoint
#define KEEL_IPC_WORDS 4u
#define KEEL_IPC_MAX_BYTES 32u  // KEEL_IPC_WORDS * 8: a register message
#define KEEL_IPC_NO_REPLY UINT64_MAX
#define KEEL_SPAWN_MAX_ARGS_BYTES 1024u
#define KEEL_SPAWN_MAX_ARGS 32u
#define KEEL_SPAWN_MAX_HANDLES 16u
// keel_spawn_args.flags: the process is made but does not run until process_start (so
// the spawner can observe it first). The spawner's handle (the one with START) closing
// before that, or the spawner exiting, kills it.
#define KEEL_SPAWN_SUSPENDED 1u
#define KEEL_MAX_HANDLES_PER_PROCESS 4096u
#define KEEL_MAX_TASKS_PER_PROCESS 64u
#define KEEL_TASK_RIGHTS                                                           \
  (KEEL_RIGHT_KILL | KEEL_RIGHT_WAIT | KEEL_RIGHT_INSPECT | KEEL_RIGHT_DUPLICATE | \
   KEEL_RIGHT_TRANSFER)
#define KEEL_JOB_MAX_DEPTH 8u  // the root job is at depth 1
#define KEEL_JOB_RIGHTS                                                             \
  (KEEL_RIGHT_KILL | KEEL_RIGHT_SPAWN | KEEL_RIGHT_ENUMERATE | KEEL_RIGHT_INSPECT | \
   KEEL_RIGHT_DUPLICATE | KEEL_RIGHT_TRANSFER)
#define KEEL_TIMEOUT_INFINITE UINT64_MAX  // block until done; 0 means "do not block"

// vm_alloc permissions; write and execute together are refused.
enum keel_vm_perms : uint32_t { KEEL_VM_READ = 1, KEEL_VM_WRITE = 2, KEEL_VM_EXEC = 4 };

// channel_read: take the message at the head of the queue. The sizes are
// written back on KEEL_OK and on every error where a message was looked at:
// ERR_BUFFER_TOO_SMALL (it does not fit bytes_cap/handles_cap) and
// ERR_NO_MEMORY (its handles do not fit the caller's handle table): either
// way it stays queued, whole, and the sizes tell a retry what it needs.
// (They are 0 after the other errors of the read itself: ERR_SHOULD_WAIT,
// ERR_TIMED_OUT, ERR_PEER_CLOSED, ERR_INTERRUPTED.)
typedef struct keel_channel_read_args {
  void* bytes;  // in: buffer for the message bytes
  size_t bytes_cap;
  keel_handle_t* handles;  // in: buffer for the received handle values
  size_t handles_cap;
  size_t actual_bytes;    // out: the message's size (also when it did not fit)
  size_t actual_handles;  // out: its number of handles (likewise)
  uint64_t timeout_ms;    // 0: ERR_SHOULD_WAIT if empty; KEEL_TIMEOUT_INFINITE: no limit
} keel_channel_read_args;

// channel_call: write a message (the request), then wait for the next
// message on the same endpoint (the reply). `sent` says which phase the call
// ended in, so the caller knows where the handles in wr_handles are:
//
//   sent == 0: the request was not queued. Every handle in wr_handles is
//     still the caller's, unchanged, and nothing was sent or consumed.
//       ERR_BAD_HANDLE, ERR_REVOKED, ERR_WRONG_TYPE, ERR_ACCESS_DENIED:
//         the channel handle (needs READ and WRITE) or one in wr_handles
//         (needs TRANSFER)
//       ERR_INVALID_ARGS: a bad pointer, timeout_ms 0, a handle listed
//         twice, or an endpoint that may not travel through this channel
//       ERR_OUT_OF_RANGE: more than KEEL_CHANNEL_MAX_BYTES/_HANDLES
//       ERR_NO_MEMORY: no memory for the request
//       ERR_PEER_CLOSED: the peer was gone before the request was sent
//       ERR_SHOULD_WAIT: the peer's queue is full (KEEL_CHANNEL_MAX_QUEUED)
//   sent == 1: the request was queued at the peer. Its handles have moved
//     and are no longer the caller's, whatever became of the reply.
//       KEEL_OK: the reply is in rd_bytes/rd_handles, actual_* its size
//       ERR_BUFFER_TOO_SMALL: the reply does not fit rd_bytes_cap or
//         rd_handles_cap; it stays queued, actual_* give its size
//       ERR_NO_MEMORY: the reply's handles do not fit the caller's handle
//         table; it stays queued, actual_* give its size
//       ERR_PEER_CLOSED: the peer's endpoint closed before a reply came;
//         the request and its handles went with whoever held them
//       ERR_TIMED_OUT: no reply within timeout_ms; the request stays sent
//       ERR_INTERRUPTED: the caller was killed while it waited
//       ERR_INVALID_ARGS: the reply buffers were unmapped (by another task
//         of the caller) while it waited; the reply is lost
//
// sent, actual_bytes and actual_handles are written back on every return
// (0 where they do not apply) except when the args block itself cannot be
// read or written: then the result is ERR_INVALID_ARGS and nothing at all
// happened (the caller's own `sent`, zeroed beforehand, stays 0). Only if
// another task of the caller unmaps the args block during the call can
// the outcome go unreported.
typedef struct keel_channel_call_args {
  const void* wr_bytes;
  size_t wr_num_bytes;
  const keel_handle_t* wr_handles;  // moved to the peer once sent is 1
  size_t wr_num_handles;
  void* rd_bytes;
  size_t rd_bytes_cap;
  keel_handle_t* rd_handles;
  size_t rd_handles_cap;
  size_t actual_bytes;    // out: the reply's size (sent == 1)
  size_t actual_handles;  // out: its number of handles
  uint64_t timeout_ms;    // must not be 0: a call always waits for its reply
  uint32_t sent;          // out: 1 once the request was queued at the peer, else 0
  uint32_t reserved;
} keel_channel_call_args;

// process_spawn: the program is looked up by name in the boot image. args is
// argc NUL-terminated strings back to back (argv[0] is the name by
// convention). The handles are moved into the child (and stay the caller's
// on error). The child starts with a0 = argc, a1 = argv, a2 = its handle
// values, a3 = their count.
typedef struct keel_spawn_args {
  const char* name;
  size_t name_len;
  const char* args;
  size_t args_len;
  uint32_t argc;
  uint32_t flags;  // KEEL_SPAWN_*; any other bit is ERR_INVALID_ARGS
  const keel_handle_t* handles;
  size_t num_handles;
  keel_handle_t job;  // the job to spawn into (needs SPAWN); KEEL_HANDLE_INVALID: the caller's
} keel_spawn_args;

// The message process_open's notify endpoint receives when the process exits.
#define KEEL_EXIT_NOTICE_MAGIC UINT64_C(0x6b65656c65786974)  // "keelexit"
typedef struct keel_exit_notice {
  uint64_t magic;  // KEEL_EXIT_NOTICE_MAGIC
  uint64_t pid;
} keel_exit_notice;

// A job's quota: what the job and its child jobs may hold at once, each 0 for
// "no limit of its own" (the ancestors' limits apply regardless). Going over
// gives the call that asked for more ERR_NO_MEMORY and changes nothing.
typedef struct keel_job_limits {
  uint64_t max_processes;  // processes not yet torn down
  uint64_t max_handles;    // handles in the processes' tables (reserved slots count)
  uint64_t max_frames;     // user page frames the processes' address spaces own; and as
                           // many frames' worth of kernel memory may wait in messages they
                           // sent (their bytes, and the objects the handles in them keep)
} keel_job_limits;
