// The procfs protocol. A client sends a Request to the procfs service
// endpoint with exactly one handle attached: one end of a fresh channel on
// which procfs writes the Reply and then closes it. Many clients can share
// the service endpoint (each holds a duplicate of it) without ever seeing
// each other's replies.
#pragma once
#include <keel/syscall.h>
#include <stddef.h>
#include <stdint.h>

namespace procfs {

enum Op : uint32_t {
  OP_LIST = 1,  // directory entries, one per line
  OP_READ = 2,  // file contents
};

constexpr size_t PATH_MAX = 120;
constexpr size_t DATA_MAX = 4000;

struct Request {
  uint32_t op;
  uint32_t path_len;
  char path[PATH_MAX];
};

struct Reply {
  int32_t status;  // KEEL_OK or a keel_status error (ERR_NOT_FOUND, ...)
  uint32_t len;
  char data[DATA_MAX];
};

// One request/reply round trip. `out` receives up to cap bytes (NUL
// terminated if room); the status is the reply's, or the IPC error.
int64_t request(keel_handle_t service, Op op, const char* path, char* out, size_t cap,
                size_t* len);

}  // namespace procfs
