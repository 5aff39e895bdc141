// Host tests of the procfs protocol's pure half (procfs/protocol.h,
// servers/procfs/proto/wire.cpp): encoding, decoding both directions, the
// client's copy-out and path parsing. Every message is decoded from a heap
// copy of exactly its size, so ASan reports any read past the end.
#include <doctest/doctest.h>
#include <procfs/protocol.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "test_data.h"

using libk::StringView;

namespace {

Bytes request_bytes(uint32_t op, uint32_t path_len, const std::string& path) {
  Bytes b(8 + path.size());
  le::put32(b, 0, op);
  le::put32(b, 4, path_len);
  std::memcpy(b.data() + 8, path.data(), path.size());
  return b;
}

Bytes reply_bytes(int32_t status, uint32_t len, const std::string& data) {
  Bytes b(8 + data.size());
  le::put32(b, 0, static_cast<uint32_t>(status));
  le::put32(b, 4, len);
  std::memcpy(b.data() + 8, data.data(), data.size());
  return b;
}

keel_status decode_request_error(const Bytes& b) {
  Exact e(b);
  return procfs::decode_request(e.p.get(), e.len).error();
}

keel_status decode_reply_error(const Bytes& b) {
  Exact e(b);
  return procfs::decode_reply(e.p.get(), e.len).error();
}

std::string str(StringView v) { return std::string(v.data(), v.size()); }

}  // namespace

TEST_CASE("request: encode then decode gives back op and path") {
  for (procfs::Op op : {procfs::OP_LIST, procfs::OP_READ}) {
    for (const std::string& path : {std::string(""), std::string("/proc"),
                                    std::string("/proc/1/status"), std::string(119, 'x')}) {
      procfs::Request req{};
      auto n = procfs::encode_request(op, StringView(path.data(), path.size()), req);
      REQUIRE(n.ok());
      CHECK(n.value() == 8 + path.size());
      Exact e(reinterpret_cast<const uint8_t*>(&req), n.value());
      auto v = procfs::decode_request(e.p.get(), e.len);
      REQUIRE(v.ok());
      CHECK(v.value().op == op);
      CHECK(str(v.value().path) == path);
      CHECK(v.value().path.data() == reinterpret_cast<const char*>(e.p.get()) + 8);
    }
  }
}

TEST_CASE("request: encode refuses a path over PATH_LEN_MAX and unknown ops") {
  procfs::Request req{};
  std::string long_path(procfs::PATH_LEN_MAX + 1, '/');
  CHECK(procfs::encode_request(procfs::OP_READ, StringView(long_path.data(), long_path.size()), req)
            .error() == ERR_OUT_OF_RANGE);
  CHECK(procfs::encode_request(static_cast<procfs::Op>(0), "/proc", req).error() ==
        ERR_INVALID_ARGS);
  CHECK(procfs::encode_request(static_cast<procfs::Op>(4), "/proc", req).error() ==
        ERR_INVALID_ARGS);
}

TEST_CASE("request: malformed messages are ERR_INVALID_ARGS") {
  CHECK(procfs::decode_request(nullptr, 8).error() == ERR_INVALID_ARGS);
  Bytes good = request_bytes(procfs::OP_READ, 5, "/proc");
  for (size_t n = 0; n < 8; ++n)  // shorter than the header
    CHECK(decode_request_error(Bytes(good.begin(), good.begin() + n)) == ERR_INVALID_ARGS);
  CHECK(decode_request_error(request_bytes(0, 5, "/proc")) == ERR_INVALID_ARGS);
  CHECK(decode_request_error(request_bytes(4, 5, "/proc")) == ERR_INVALID_ARGS);
  CHECK(decode_request_error(request_bytes(0xffffffff, 5, "/proc")) == ERR_INVALID_ARGS);
  // path_len must say exactly how many bytes follow the header.
  CHECK(decode_request_error(request_bytes(procfs::OP_READ, 6, "/proc")) == ERR_INVALID_ARGS);
  CHECK(decode_request_error(request_bytes(procfs::OP_READ, 4, "/proc")) == ERR_INVALID_ARGS);
  CHECK(decode_request_error(request_bytes(procfs::OP_READ, 0xffffffff, "/proc")) ==
        ERR_INVALID_ARGS);
  // A path of 120 bytes, correctly described, is still over the limit.
  std::string long_path(120, 'a');
  CHECK(decode_request_error(request_bytes(procfs::OP_READ, 120, long_path)) == ERR_INVALID_ARGS);
  CHECK(decode_request_error(good) == KEEL_OK);
}

TEST_CASE("reply: encode then decode gives back status and data") {
  struct Case {
    int32_t status;
    std::string data;
  };
  for (const Case& c : {Case{KEEL_OK, ""}, Case{KEEL_OK, "1\n2\nmeminfo\nkstat\n"},
                        Case{KEEL_OK, std::string(procfs::DATA_MAX, 'd')}, Case{ERR_NOT_FOUND, ""},
                        Case{INT32_MIN, ""}}) {
    procfs::Reply r{};
    auto n = procfs::encode_reply(c.status, StringView(c.data.data(), c.data.size()), r);
    REQUIRE(n.ok());
    CHECK(n.value() == 8 + c.data.size());
    Exact e(reinterpret_cast<const uint8_t*>(&r), n.value());
    auto v = procfs::decode_reply(e.p.get(), e.len);
    REQUIRE(v.ok());
    CHECK(v.value().status == c.status);
    CHECK(str(v.value().data) == c.data);
  }
}

TEST_CASE("reply: encode refuses positive statuses, errors with data, and too much data") {
  procfs::Reply r{};
  std::string big(procfs::DATA_MAX + 1, 'd');
  CHECK(procfs::encode_reply(KEEL_OK, StringView(big.data(), big.size()), r).error() ==
        ERR_OUT_OF_RANGE);
  CHECK(procfs::encode_reply(1, "", r).error() == ERR_INVALID_ARGS);
  CHECK(procfs::encode_reply(ERR_NOT_FOUND, "x", r).error() == ERR_INVALID_ARGS);
}

TEST_CASE("reply: malformed messages are ERR_CORRUPT") {
  CHECK(procfs::decode_reply(nullptr, 8).error() == ERR_CORRUPT);
  Bytes good = reply_bytes(KEEL_OK, 3, "abc");
  for (size_t n = 0; n < 8; ++n)
    CHECK(decode_reply_error(Bytes(good.begin(), good.begin() + n)) == ERR_CORRUPT);
  CHECK(decode_reply_error(reply_bytes(1, 0, "")) == ERR_CORRUPT);  // not a keel_status
  CHECK(decode_reply_error(reply_bytes(INT32_MAX, 0, "")) == ERR_CORRUPT);
  CHECK(decode_reply_error(reply_bytes(ERR_NOT_FOUND, 3, "abc")) == ERR_CORRUPT);  // error + data
  CHECK(decode_reply_error(reply_bytes(KEEL_OK, 4, "abc")) == ERR_CORRUPT);  // len past the end
  CHECK(decode_reply_error(reply_bytes(KEEL_OK, 2, "abc")) == ERR_CORRUPT);  // trailing byte
  CHECK(decode_reply_error(reply_bytes(KEEL_OK, 0xffffffff, "abc")) == ERR_CORRUPT);
  std::string big(procfs::DATA_MAX + 1, 'd');
  CHECK(decode_reply_error(reply_bytes(KEEL_OK, uint32_t(big.size()), big)) == ERR_CORRUPT);
  CHECK(decode_reply_error(good) == KEEL_OK);
}

TEST_CASE("finish_reply: whatever the server left, the reply decodes") {
  procfs::Reply r{};
  r.len = 5;
  std::memcpy(r.data, "hello", 5);
  size_t n = procfs::finish_reply(r, KEEL_OK);
  CHECK(n == 13);
  CHECK(procfs::decode_reply(&r, n).ok());

  r.len = 5;  // an error carries no data
  n = procfs::finish_reply(r, ERR_NOT_FOUND);
  CHECK(n == 8);
  CHECK(r.len == 0);
  CHECK(procfs::decode_reply(&r, n).value().status == ERR_NOT_FOUND);

  r.len = 0xffffffff;  // never more than the buffer holds
  n = procfs::finish_reply(r, KEEL_OK);
  CHECK(n == 8 + procfs::DATA_MAX);
  CHECK(procfs::decode_reply(&r, n).ok());

  r.len = 0;  // a positive status is not a keel_status
  n = procfs::finish_reply(r, 7);
  CHECK(procfs::decode_reply(&r, n).value().status == ERR_INVALID_ARGS);
}

TEST_CASE("copy_data: at most cap bytes, NUL-terminated when there is room") {
  procfs::ReplyView v{KEEL_OK, StringView("abcdef")};
  CHECK(procfs::copy_data(v, nullptr, 0) == 0);
  Exact three(reinterpret_cast<const uint8_t*>("xxx"), 3);
  char* out = reinterpret_cast<char*>(three.p.get());
  CHECK(procfs::copy_data(v, out, 3) == 3);  // truncated: no room for a NUL
  CHECK(std::string(out, 3) == "abc");
  Exact seven(reinterpret_cast<const uint8_t*>("xxxxxxx"), 7);
  out = reinterpret_cast<char*>(seven.p.get());
  CHECK(procfs::copy_data(v, out, 7) == 6);
  CHECK(std::string(out) == "abcdef");
}

TEST_CASE("parse_pid: 1 to 19 decimal digits") {
  CHECK(procfs::parse_pid("0").value() == 0);
  CHECK(procfs::parse_pid("42").value() == 42);
  CHECK(procfs::parse_pid("007").value() == 7);
  CHECK(procfs::parse_pid("9999999999999999999").value() == 9999999999999999999ull);
  for (const char* bad : {"", "99999999999999999999", "12a", "-1", "+1", " 1", "1 ", "0x10"})
    CHECK(procfs::parse_pid(bad).error() == ERR_NOT_FOUND);
  // A NUL inside the view is just another non-digit.
  CHECK(procfs::parse_pid(StringView("1\0002", 3)).error() == ERR_NOT_FOUND);
}

TEST_CASE("parse_path: every spelling procfs serves") {
  using procfs::Node;
  struct Case {
    const char* path;
    Node node;
    uint64_t pid;
  };
  for (const Case& c :
       {Case{"/proc", Node::kRoot, 0}, Case{"/proc/", Node::kRoot, 0},
        Case{"/proc/meminfo", Node::kMeminfo, 0}, Case{"/proc/kstat", Node::kKstat, 0},
        Case{"/proc/12", Node::kProcess, 12}, Case{"/proc/12/", Node::kProcess, 12},
        Case{"/proc/12/status", Node::kProcessStatus, 12}}) {
    auto p = procfs::parse_path(c.path);
    REQUIRE_MESSAGE(p.ok(), c.path);
    CHECK(p.value().node == c.node);
    CHECK(p.value().pid == c.pid);
  }
  CHECK(procfs::is_directory(Node::kRoot));
  CHECK(procfs::is_directory(Node::kProcess));
  CHECK(!procfs::is_directory(Node::kMeminfo));
  CHECK(!procfs::is_directory(Node::kProcessStatus));
}

TEST_CASE("parse_path: anything else is ERR_NOT_FOUND") {
  for (const char* bad :
       {"", "/", "proc", "/pro", "/procx", "/proc//", "/proc/nope", "/proc/meminfo/",
        "/proc/kstat/x", "/proc/1//", "/proc/1/status/", "/proc/1/stat", "/proc/1/statusx",
        "/proc/1x/status", "/proc//status", "/proc/99999999999999999999", "//proc", "/Proc"})
    CHECK_MESSAGE(procfs::parse_path(bad).error() == ERR_NOT_FOUND, bad);
  CHECK(procfs::parse_path(StringView("/proc\0", 6)).error() == ERR_NOT_FOUND);
}

TEST_CASE("request: OP_LIST_AFTER (the next page of /proc) encodes and decodes") {
  procfs::Request req{};
  auto n = procfs::encode_request(procfs::OP_LIST_AFTER, "/proc/1234", req);
  REQUIRE(n.ok());
  auto v = procfs::decode_request(&req, n.value());
  REQUIRE(v.ok());
  CHECK(v.value().op == procfs::OP_LIST_AFTER);
  auto path = procfs::parse_path(v.value().path);
  REQUIRE(path.ok());
  CHECK(path.value().node == procfs::Node::kProcess);
  CHECK(path.value().pid == 1234);
}
