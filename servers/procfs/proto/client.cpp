// The procfs protocol's client: one request/reply round trip over a fresh
// reply channel (see procfs/protocol.h). User space only: it makes syscalls.
// The reply is untrusted bytes from another process and is decoded by
// decode_reply() before anything in it is used.
#include <libk/format.h>
#include <procfs/protocol.h>

#include "keel.h"

namespace procfs {

int64_t request(keel_handle_t service, Op op, const char* path, char* out, size_t cap,
                size_t* len) {
  static Request req;
  size_t req_size = TRY(encode_request(op, libk::StringView(path), req));
  keel_handle_t mine, theirs;
  int64_t r = keel::channel_create(&mine, &theirs);
  if (r < 0) return r;
  r = keel::channel_write(service, &req, req_size, &theirs, 1);
  if (r < 0) {
    keel::handle_close(mine);
    keel::handle_close(theirs);
    return r;
  }
  static Reply reply;
  size_t got = 0;
  r = keel::read_message(mine, &reply, sizeof(reply), &got, nullptr, 0, nullptr, keel::PATIENCE_MS);
  if (r >= 0) {
    // The server closes its end right after answering: wait for that, so
    // that when this returns nothing of the request is left anywhere (a
    // caller comparing counters before and after sees them equal, on any
    // number of harts). A server that keeps its end costs us this wait only.
    char drain;
    size_t n = 0;
    (void)keel::read_message(mine, &drain, 1, &n, nullptr, 0, nullptr, keel::PATIENCE_MS);
  }
  keel::handle_close(mine);
  if (r < 0) return r;
  ReplyView v = TRY(decode_reply(&reply, got));
  size_t n = copy_data(v, out, cap);
  if (len) *len = n;
  return v.status;
}

int64_t list_each(keel_handle_t service, const char* path,
                  void (*fn)(void* ctx, libk::StringView entry), void* ctx) {
  static char page[DATA_MAX + 1];
  char next[PATH_LEN_MAX + 1];
  Op op = OP_LIST;
  const char* at = path;
  for (;;) {
    size_t len = 0;
    int64_t r = request(service, op, at, page, sizeof(page), &len);
    if (r != KEEL_OK) return r;
    libk::StringView rest(page, len);
    uint64_t last_pid = 0;
    bool more = false;
    for (libk::StringView line; !(line = libk::next_token(rest, '\n')).empty();) {
      if (line == libk::StringView(MORE)) {
        more = true;
        break;
      }
      auto pid = parse_pid(line);
      if (!pid.is_error()) last_pid = pid.value();
      fn(ctx, line);
    }
    if (!more) return KEEL_OK;
    if (last_pid == 0) return ERR_CORRUPT;  // "more" after no pid: a broken server
    libk::format(next, sizeof(next), "/proc/%lu", last_pid);
    op = OP_LIST_AFTER;
    at = next;
  }
}

}  // namespace procfs
