#include "protocol.h"

#include <libk/string.h>

#include "keel.h"

namespace procfs {

int64_t request(keel_handle_t service, Op op, const char* path, char* out, size_t cap,
                size_t* len) {
  Request req{};
  req.op = op;
  req.path_len = static_cast<uint32_t>(strlen(path));
  if (req.path_len >= PATH_MAX) return ERR_OUT_OF_RANGE;
  memcpy(req.path, path, req.path_len);
  keel_handle_t mine, theirs;
  int64_t r = keel::channel_create(&mine, &theirs);
  if (r < 0) return r;
  r = keel::channel_write(service, &req, sizeof(req) - PATH_MAX + req.path_len, &theirs, 1);
  if (r < 0) {
    keel::handle_close(mine);
    keel::handle_close(theirs);
    return r;
  }
  static Reply reply;
  size_t got = 0;
  r = keel::read_message(mine, &reply, sizeof(reply), &got, nullptr, 0, nullptr, keel::PATIENCE_MS);
  keel::handle_close(mine);
  if (r < 0) return r;
  if (got < 8 || reply.len > DATA_MAX || got < 8 + reply.len) return ERR_CORRUPT;
  size_t n = reply.len < cap ? reply.len : cap;
  memcpy(out, reply.data, n);
  if (n < cap) out[n] = 0;
  if (len) *len = n;
  return reply.status;
}

}  // namespace procfs
