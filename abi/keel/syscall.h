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

typedef uint32_t keel_handle_t;
#define KEEL_HANDLE_INVALID 0u

enum keel_syscall_number : uint64_t {
  SYS_NULL = 0,              // () : does nothing; the cheapest round trip
  SYS_EXIT = 1,              // (int64_t code) : never returns
  SYS_YIELD = 2,             // ()
  SYS_SLEEP_MS = 3,          // (uint64_t ms) : ERR_INTERRUPTED if killed meanwhile
  SYS_CLOCK_MS = 4,          // (uint64_t* out_ms) : milliseconds since boot
  SYS_DEBUG_WRITE = 5,       // (const char* buf, size_t len) : to the console
  SYS_DEBUG_READ = 6,        // (char* buf, size_t cap, size_t* actual, uint64_t timeout_ms)
  SYS_KSTAT_READ = 7,        // (char* buf, size_t cap, size_t* actual) : "name value\n" lines
  SYS_VM_ALLOC = 8,          // (size_t size, uint32_t perms, uintptr_t* out_addr)
  SYS_VM_FREE = 9,           // (uintptr_t addr, size_t size) : exactly one earlier allocation
  SYS_HANDLE_CLOSE = 10,     // (keel_handle_t h)
  SYS_HANDLE_DUPLICATE = 11, // (keel_handle_t h, uint32_t rights, keel_handle_t* out)
  SYS_OBJECT_INFO = 12,      // (keel_handle_t h, keel_object_info* out) : needs INSPECT
  SYS_CHANNEL_CREATE = 13,   // (keel_handle_t* out0, keel_handle_t* out1)
  SYS_CHANNEL_WRITE = 14,    // (h, const void* bytes, size_t n, const keel_handle_t* hs, size_t nh)
  SYS_CHANNEL_READ = 15,     // (keel_handle_t h, keel_channel_read_args* args)
  SYS_CHANNEL_CALL = 16,     // (keel_handle_t h, keel_channel_call_args* args)
  SYS_PROCESS_SPAWN = 17,    // (const keel_spawn_args* args, keel_handle_t* out_process)
  SYS_PROCESS_KILL = 18,     // (keel_handle_t process) : needs KILL
  SYS_PROCESS_WAIT = 19,     // (keel_handle_t process, int64_t* out_code, uint64_t timeout_ms)
  SYS_PROCESS_LIST = 20,     // (keel_handle_t dir, uint64_t* pids, size_t cap, size_t* actual)
  SYS_PROCESS_OPEN = 21,     // (keel_handle_t dir, uint64_t pid, keel_handle_t* out_observer)
  SYS_POWEROFF = 22,         // (uint32_t status) : needs the process directory's POWER right
  SYS_SYSTEM_AUDIT = 23,     // (keel_handle_t dir) : needs AUDIT; runs the kernel's orphan audit
                             // now and returns how many orphans it found (>= 0)
  SYS_FAULT_INJECT = 24,     // (keel_handle_t dir, uint64_t nth, uint64_t every, uint64_t* out_injected)
                             // : needs FAULT_INJECT. Writes how many allocations failed on purpose
                             // since the last call, then makes the kernel's nth frame or slab
                             // allocation from now fail with ERR_NO_MEMORY (and each every-th
                             // after it, if every > 0), whoever makes it; nth 0 disarms.
  SYS_COUNT
};

// Rights: a handle's mask of what its holder may do. Rights only shrink.
enum keel_rights : uint32_t {
  KEEL_RIGHT_READ = 1u << 0,       // channel_read
  KEEL_RIGHT_WRITE = 1u << 1,      // channel_write
  KEEL_RIGHT_DUPLICATE = 1u << 2,  // handle_duplicate
  KEEL_RIGHT_TRANSFER = 1u << 3,   // send through a channel
  KEEL_RIGHT_INSPECT = 1u << 4,    // object_info
  KEEL_RIGHT_KILL = 1u << 5,       // process_kill
  KEEL_RIGHT_WAIT = 1u << 6,       // process_wait
  KEEL_RIGHT_ENUMERATE = 1u << 7,  // process_list / process_open
  KEEL_RIGHT_POWER = 1u << 8,      // poweroff
  KEEL_RIGHT_AUDIT = 1u << 9,      // system_audit (a test and debugging facility)
  KEEL_RIGHT_FAULT_INJECT = 1u << 10,  // fault_inject (tests of running out of memory)
  KEEL_RIGHTS_ALL = (1u << 11) - 1,
  KEEL_RIGHTS_SAME = 0x80000000u,  // handle_duplicate: keep the source's rights
};

// Object types (keel_object_info.type).
enum keel_object_type : uint32_t {
  KEEL_OBJ_TASK = 1,
  KEEL_OBJ_PROCESS = 2,
  KEEL_OBJ_CHANNEL = 3,
  KEEL_OBJ_PROCESS_DIRECTORY = 5,
};

enum keel_object_state : uint32_t {
  KEEL_STATE_RUNNING = 1,      // process alive
  KEEL_STATE_EXITED = 2,       // process exited (exit_code valid)
  KEEL_STATE_OPEN = 3,         // channel with a live peer
  KEEL_STATE_PEER_CLOSED = 4,  // channel whose peer is gone
};

// Exit statuses the kernel gives a process that did not choose its own
// (process_wait, keel_object_info.exit_code). A process may also exit with
// these values itself: they say how it ended only by convention.
#define KEEL_EXIT_KILLED INT64_C(-9)  // process_kill
#define KEEL_EXIT_FAULT INT64_C(-11)  // a fault in user mode that nothing handles

#define KEEL_NAME_MAX 32

typedef struct keel_object_info {
  uint32_t type;          // keel_object_type
  uint32_t rights;        // of the handle used
  uint64_t koid;          // object id; a process's pid
  uint64_t related_koid;  // process: parent pid; channel: peer koid (0 if closed)
  uint32_t state;         // keel_object_state
  uint32_t reserved;
  int64_t exit_code;      // process, once exited
  uint64_t tasks;         // process: live tasks
  uint64_t pages;         // process: user pages mapped
  uint64_t handles;       // process: open handles
  char name[KEEL_NAME_MAX];
} keel_object_info;

// Limits.
#define KEEL_CHANNEL_MAX_BYTES 4096u
#define KEEL_CHANNEL_MAX_HANDLES 16u
#define KEEL_CHANNEL_MAX_QUEUED 256u  // messages waiting on one endpoint
#define KEEL_SPAWN_MAX_ARGS_BYTES 1024u
#define KEEL_SPAWN_MAX_ARGS 32u
#define KEEL_SPAWN_MAX_HANDLES 16u
#define KEEL_MAX_HANDLES_PER_PROCESS 4096u
#define KEEL_TIMEOUT_INFINITE UINT64_MAX  // block until done; 0 means "do not block"

// vm_alloc permissions; write and execute together are refused.
enum keel_vm_perms : uint32_t { KEEL_VM_READ = 1, KEEL_VM_WRITE = 2, KEEL_VM_EXEC = 4 };

typedef struct keel_channel_read_args {
  void* bytes;                 // in: buffer for the message bytes
  size_t bytes_cap;
  keel_handle_t* handles;      // in: buffer for the received handle values
  size_t handles_cap;
  size_t actual_bytes;         // out: the message's size (also when the buffer was too small)
  size_t actual_handles;       // out
  uint64_t timeout_ms;         // 0: ERR_SHOULD_WAIT if empty; KEEL_TIMEOUT_INFINITE: no limit
} keel_channel_read_args;

// channel_call: write a message, then wait for the next message on the same
// endpoint (the reply). ERR_PEER_CLOSED if the peer goes away meanwhile.
typedef struct keel_channel_call_args {
  const void* wr_bytes;
  size_t wr_num_bytes;
  const keel_handle_t* wr_handles;  // moved to the peer on success
  size_t wr_num_handles;
  void* rd_bytes;
  size_t rd_bytes_cap;
  keel_handle_t* rd_handles;
  size_t rd_handles_cap;
  size_t actual_bytes;    // out
  size_t actual_handles;  // out
  uint64_t timeout_ms;
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
  uint32_t reserved;
  const keel_handle_t* handles;
  size_t num_handles;
} keel_spawn_args;
