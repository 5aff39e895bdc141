// The procfs protocol's pure half: see procfs/protocol.h for the wire format
// and the invariants each decoder guarantees.
//
// Header fields are read and written bytewise in native byte order through
// memcpy, so a message buffer needs no alignment. Every length is compared
// with the message size before a byte it covers is touched; sums are done in
// 64 bits from 32-bit fields, so none can wrap.
#include <procfs/protocol.h>

namespace procfs {

namespace {

uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

bool known_op(uint32_t op) { return op == OP_LIST || op == OP_READ || op == OP_LIST_AFTER; }

}  // namespace

libk::Result<size_t> encode_request(Op op, libk::StringView path, Request& out) {
  if (!known_op(op)) return libk::err(ERR_INVALID_ARGS);
  if (path.size() > PATH_LEN_MAX) return libk::err(ERR_OUT_OF_RANGE);
  out.op = op;
  out.path_len = static_cast<uint32_t>(path.size());
  memcpy(out.path, path.data(), path.size());
  return REQUEST_HEADER + path.size();
}

libk::Result<RequestView> decode_request(const void* msg, size_t size) {
  if (msg == nullptr || size < REQUEST_HEADER) return libk::err(ERR_INVALID_ARGS);
  const uint8_t* m = static_cast<const uint8_t*>(msg);
  uint32_t op = load_u32(m + offsetof(Request, op));
  uint32_t path_len = load_u32(m + offsetof(Request, path_len));
  if (!known_op(op)) return libk::err(ERR_INVALID_ARGS);
  // size >= REQUEST_HEADER, so the subtraction cannot wrap.
  if (path_len > PATH_LEN_MAX || path_len != size - REQUEST_HEADER)
    return libk::err(ERR_INVALID_ARGS);
  const char* path = reinterpret_cast<const char*>(m + REQUEST_HEADER);
  return RequestView{static_cast<Op>(op), libk::StringView(path, path_len)};
}

libk::Result<size_t> encode_reply(int32_t status, libk::StringView data, Reply& out) {
  if (status > KEEL_OK || (status != KEEL_OK && !data.empty())) return libk::err(ERR_INVALID_ARGS);
  if (data.size() > DATA_MAX) return libk::err(ERR_OUT_OF_RANGE);
  out.status = status;
  out.len = static_cast<uint32_t>(data.size());
  memcpy(out.data, data.data(), data.size());
  return REPLY_HEADER + data.size();
}

size_t finish_reply(Reply& r, int32_t status) {
  r.status = status > KEEL_OK ? ERR_INVALID_ARGS : status;
  if (r.status != KEEL_OK)
    r.len = 0;
  else if (r.len > DATA_MAX)
    r.len = DATA_MAX;
  return REPLY_HEADER + r.len;
}

libk::Result<ReplyView> decode_reply(const void* msg, size_t size) {
  if (msg == nullptr || size < REPLY_HEADER) return libk::err(ERR_CORRUPT);
  const uint8_t* m = static_cast<const uint8_t*>(msg);
  int32_t status = static_cast<int32_t>(load_u32(m + offsetof(Reply, status)));
  uint32_t len = load_u32(m + offsetof(Reply, len));
  if (status > KEEL_OK || (status != KEEL_OK && len != 0)) return libk::err(ERR_CORRUPT);
  // size >= REPLY_HEADER, so the subtraction cannot wrap.
  if (len > DATA_MAX || len != size - REPLY_HEADER) return libk::err(ERR_CORRUPT);
  const char* data = reinterpret_cast<const char*>(m + REPLY_HEADER);
  return ReplyView{status, libk::StringView(data, len)};
}

size_t copy_data(const ReplyView& reply, char* out, size_t cap) {
  size_t n = reply.data.size() < cap ? reply.data.size() : cap;
  if (n != 0) memcpy(out, reply.data.data(), n);
  if (n < cap) out[n] = '\0';
  return n;
}

libk::Result<uint64_t> parse_pid(libk::StringView s) {
  // 19 digits stay below 10^19 < 2^64: no overflow check needed.
  if (s.empty() || s.size() > 19) return libk::err(ERR_NOT_FOUND);
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return libk::err(ERR_NOT_FOUND);
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

libk::Result<Path> parse_path(libk::StringView path) {
  constexpr libk::StringView kRoot("/proc");
  if (path == kRoot || path == libk::StringView("/proc/")) return Path{Node::kRoot, 0};
  if (!path.starts_with("/proc/")) return libk::err(ERR_NOT_FOUND);
  libk::StringView rest = path.substr(kRoot.size() + 1);
  if (rest == libk::StringView("meminfo")) return Path{Node::kMeminfo, 0};
  if (rest == libk::StringView("kstat")) return Path{Node::kKstat, 0};
  // <pid>, <pid>/ or <pid>/status
  size_t slash = rest.find('/');
  uint64_t pid = TRY(parse_pid(rest.substr(0, slash)));
  if (slash == libk::StringView::npos) return Path{Node::kProcess, pid};
  libk::StringView tail = rest.substr(slash);
  if (tail == libk::StringView("/")) return Path{Node::kProcess, pid};
  if (tail == libk::StringView("/status")) return Path{Node::kProcessStatus, pid};
  return libk::err(ERR_NOT_FOUND);
}

}  // namespace procfs
