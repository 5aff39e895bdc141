// Fuzz target: the procfs client's side of the protocol
// (procfs/protocol.h): decode_reply and copy_data, as procfs::request uses
// them on the bytes another process sent, plus the server's finish_reply.
//
// Properties checked on every input:
//  * an accepted reply has status KEEL_OK or negative, no data with an
//    error, len <= DATA_MAX, its data inside the message right after the
//    header and no trailing bytes; re-encoding it gives back the very same
//    bytes, and anything refused is ERR_CORRUPT;
//  * copy_data writes exactly min(len, cap) data bytes and the NUL only
//    when there is room, never beyond `cap` (exact-size buffers: ASan);
//  * whatever a server leaves in a Reply, finish_reply makes it a reply
//    that decodes, with the status it was given (or ERR_INVALID_ARGS for a
//    positive one);
//  * encode then decode gives back the status and data.
#include <procfs/protocol.h>
#include <string.h>

#include <memory>

#include "fuzz_check.h"

namespace {

using libk::StringView;

uint32_t load32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

void check_copy(const procfs::ReplyView& v, size_t cap) {
  std::unique_ptr<char[]> out(new char[cap]);  // exactly cap bytes
  size_t n = procfs::copy_data(v, cap == 0 ? nullptr : out.get(), cap);
  FUZZ_CHECK(n == (v.data.size() < cap ? v.data.size() : cap));
  FUZZ_CHECK(n == 0 || memcmp(out.get(), v.data.data(), n) == 0);
  if (n < cap) FUZZ_CHECK(out[n] == '\0');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto reply = procfs::decode_reply(data, size);
  if (reply.ok()) {
    const procfs::ReplyView& v = reply.value();
    FUZZ_CHECK(v.status <= KEEL_OK);
    FUZZ_CHECK(v.status == KEEL_OK || v.data.empty());
    FUZZ_CHECK(v.data.size() <= procfs::DATA_MAX);
    FUZZ_CHECK(v.data.data() == reinterpret_cast<const char*>(data) + procfs::REPLY_HEADER);
    FUZZ_CHECK(fuzz::inside(v.data.data(), v.data.size(), data, size));
    FUZZ_CHECK(size == procfs::REPLY_HEADER + v.data.size());
    static procfs::Reply out;
    auto n = procfs::encode_reply(v.status, v.data, out);
    FUZZ_CHECK(n.ok() && n.value() == size && memcmp(&out, data, size) == 0);
    size_t len = v.data.size();
    for (size_t cap : {size_t(0), size_t(1), len ? len - 1 : 0, len, len + 1}) check_copy(v, cap);
  } else {
    FUZZ_CHECK(reply.error() == ERR_CORRUPT);
  }
  FUZZ_CHECK(procfs::decode_reply(nullptr, size).error() == ERR_CORRUPT);

  // A server's Reply: status and len from the input's first bytes, data
  // from the rest; finish_reply must make it decode.
  if (size >= 8) {
    static procfs::Reply r;
    int32_t status = static_cast<int32_t>(load32(data));
    r.len = load32(data + 4);
    size_t body = size - 8 < procfs::DATA_MAX ? size - 8 : procfs::DATA_MAX;
    memcpy(r.data, data + 8, body);
    size_t n = procfs::finish_reply(r, status);
    auto back = procfs::decode_reply(&r, n);
    FUZZ_CHECK(back.ok());
    FUZZ_CHECK(back.value().status == (status > KEEL_OK ? int32_t(ERR_INVALID_ARGS) : status));
  }

  // Encode, then decode, with the input as the data.
  StringView raw(reinterpret_cast<const char*>(data), size);
  static procfs::Reply out;
  auto n = procfs::encode_reply(KEEL_OK, raw, out);
  if (size > procfs::DATA_MAX) {
    FUZZ_CHECK(n.error() == ERR_OUT_OF_RANGE);
  } else {
    FUZZ_CHECK(n.ok() && n.value() == procfs::REPLY_HEADER + size);
    auto back = procfs::decode_reply(&out, n.value());
    FUZZ_CHECK(back.ok() && back.value().status == KEEL_OK && back.value().data == raw);
  }
  FUZZ_CHECK(procfs::encode_reply(1, StringView(), out).error() == ERR_INVALID_ARGS);
  FUZZ_CHECK(procfs::encode_reply(ERR_NOT_FOUND, StringView("x"), out).error() == ERR_INVALID_ARGS);
  return 0;
}
