// The procfs protocol: the wire format between procfs and its clients, and
// the pure functions that encode, decode and interpret it.
//
// A client sends a Request to the procfs service endpoint with exactly one
// handle attached: one end of a fresh channel on which procfs writes the
// Reply and then closes it. Many clients can share the service endpoint
// (each holds a duplicate of it) without ever seeing each other's replies.
//
// Wire format (native byte order; both ends run on the same machine):
//   Request: u32 op; u32 path_len; path_len bytes of path   (8 + path_len bytes)
//   Reply:   i32 status; u32 len; len bytes of data          (8 + len bytes)
// A message is exactly that long: no trailing bytes. Both directions carry
// bytes the other side wrote, so each side decodes what it receives with
// decode_request()/decode_reply(), which check every field against the
// message's real size before anything looks at it. Invariants of an accepted
// message:
//  * Request: op is OP_LIST or OP_READ; path_len <= PATH_LEN_MAX; the path
//    bytes lie inside the message; size == REQUEST_HEADER + path_len.
//  * Reply: status is KEEL_OK or negative; an error carries no data;
//    len <= DATA_MAX; the data lies inside the message; size == REPLY_HEADER + len.
// Decoders read bytewise (no alignment needed), never past `size`, and
// hand back views into the message: they live as long as its buffer.
//
// Everything here except request() is pure (no syscalls) and builds for the
// target and natively (host tests and fuzzers); request() lives in client.cpp,
// user space only.
#pragma once
#include <keel/status.h>
#include <keel/syscall.h>
#include <libk/result.h>
#include <libk/string.h>
#include <stddef.h>
#include <stdint.h>

namespace procfs {

enum Op : uint32_t {
  OP_LIST = 1,  // directory entries, one per line
  OP_READ = 2,  // file contents
  // The entries of /proc after the pid the path names ("/proc/<pid>", which
  // need not exist): the next page of a listing too long for one reply. A
  // page of /proc that is not the last ends with the line MORE; the last
  // ends with meminfo and kstat.
  OP_LIST_AFTER = 3,
};
constexpr const char* MORE = "more";

constexpr size_t PATH_LEN_MAX = 119;  // longest path a request carries, in bytes
constexpr size_t DATA_MAX = 4000;     // most data a reply carries, in bytes
constexpr size_t REQUEST_HEADER = 8;  // op, path_len
constexpr size_t REPLY_HEADER = 8;    // status, len

// Buffers big enough for the largest message of each direction. Only the
// first REQUEST_HEADER + path_len (REPLY_HEADER + len) bytes are sent.
struct Request {
  uint32_t op;
  uint32_t path_len;
  char path[PATH_LEN_MAX + 1];
};

struct Reply {
  int32_t status;  // KEEL_OK or a keel_status error (ERR_NOT_FOUND, ...)
  uint32_t len;
  char data[DATA_MAX];
};

static_assert(offsetof(Request, path) == REQUEST_HEADER);
static_assert(offsetof(Reply, data) == REPLY_HEADER);
static_assert(sizeof(Request) <= KEEL_CHANNEL_MAX_BYTES && sizeof(Reply) <= KEEL_CHANNEL_MAX_BYTES);

// ---- requests ----

// A decoded request; `path` points into the message.
struct RequestView {
  Op op;
  libk::StringView path;
};

// Fills `out` and returns the number of bytes to send. ERR_INVALID_ARGS for
// an unknown op, ERR_OUT_OF_RANGE for a path longer than PATH_LEN_MAX.
libk::Result<size_t> encode_request(Op op, libk::StringView path, Request& out);

// Checks the invariants above. ERR_INVALID_ARGS for anything else (too
// short, unknown op, path_len over the limit or not matching the size).
libk::Result<RequestView> decode_request(const void* msg, size_t size);

// ---- replies ----

// A decoded reply; `data` points into the message (empty for an error).
struct ReplyView {
  int32_t status;
  libk::StringView data;
};

// Fills `out` and returns the number of bytes to send. ERR_INVALID_ARGS for
// a positive status or an error status with data, ERR_OUT_OF_RANGE for data
// longer than DATA_MAX.
libk::Result<size_t> encode_reply(int32_t status, libk::StringView data, Reply& out);

// For a server that wrote `len` bytes of data straight into r.data: sets the
// status (a positive one becomes ERR_INVALID_ARGS), drops the data of an
// error, clamps len to DATA_MAX, and returns the number of bytes to send.
// The result always decodes.
size_t finish_reply(Reply& r, int32_t status);

// Checks the invariants above. ERR_CORRUPT for anything else.
libk::Result<ReplyView> decode_reply(const void* msg, size_t size);

// Copies up to `cap` bytes of the reply's data to `out` and NUL-terminates
// it if there is room; returns the number of data bytes copied. Writes
// nothing beyond out[cap - 1]; `out` may be null when cap is 0.
size_t copy_data(const ReplyView& reply, char* out, size_t cap);

// ---- paths ----

// What a path names. /proc and /proc/<pid> are directories, the rest files.
enum class Node : uint32_t {
  kRoot,           // "/proc" or "/proc/"
  kMeminfo,        // "/proc/meminfo"
  kKstat,          // "/proc/kstat"
  kProcess,        // "/proc/<pid>" or "/proc/<pid>/"
  kProcessStatus,  // "/proc/<pid>/status"
};

struct Path {
  Node node;
  uint64_t pid;  // kProcess and kProcessStatus; 0 otherwise
};

constexpr bool is_directory(Node n) { return n == Node::kRoot || n == Node::kProcess; }

// A pid: 1 to 19 decimal digits (so it cannot overflow), nothing else.
// ERR_NOT_FOUND otherwise (no such process can exist).
libk::Result<uint64_t> parse_pid(libk::StringView s);

// What `path` names, by syntax alone (whether the process exists is the
// server's business). ERR_NOT_FOUND for any path outside the list above.
libk::Result<Path> parse_path(libk::StringView path);

// ---- the client (user space only, client.cpp) ----

// One request/reply round trip. `out` receives up to cap bytes (NUL
// terminated if room); the status is the reply's, the IPC error, or
// ERR_CORRUPT for a reply that does not decode.
int64_t request(keel_handle_t service, Op op, const char* path, char* out, size_t cap, size_t* len);
// Every entry of the directory `path`, one call of fn per line, paging
// through /proc with OP_LIST_AFTER however many processes there are. The
// first error status, or KEEL_OK.
int64_t list_each(keel_handle_t service, const char* path,
                  void (*fn)(void* ctx, libk::StringView entry), void* ctx);

}  // namespace procfs
