// Fuzz target: the procfs server's side of the protocol
// (procfs/protocol.h): decode_request, then parse_path and parse_pid on
// what it accepted, as procfs's serve_one does.
//
// Properties checked on every input:
//  * an accepted request has a known op, path_len <= PATH_LEN_MAX, its path
//    bytes inside the message right after the header, and no trailing bytes;
//    re-encoding it gives back the very same bytes (the encoding is
//    canonical), and anything refused is ERR_INVALID_ARGS;
//  * an accepted path is one of the documented spellings (checked here
//    character by character, with the pid recomputed independently), and
//    its canonical spelling parses to the same node and pid;
//  * encode then decode gives back the op and path for any path that fits.
#include <procfs/protocol.h>
#include <stdio.h>
#include <string.h>

#include <string>

#include "fuzz_check.h"

namespace {

using libk::StringView;

bool is_digits(StringView s) {
  if (s.empty() || s.size() > 19) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

uint64_t value_of(StringView digits) {
  uint64_t v = 0;
  for (char c : digits) v = v * 10 + uint64_t(c - '0');
  return v;
}

std::string canonical(const procfs::Path& p) {
  std::string pid = std::to_string(p.pid);
  switch (p.node) {
    case procfs::Node::kRoot:
      return "/proc";
    case procfs::Node::kMeminfo:
      return "/proc/meminfo";
    case procfs::Node::kKstat:
      return "/proc/kstat";
    case procfs::Node::kProcess:
      return "/proc/" + pid;
    case procfs::Node::kProcessStatus:
      return "/proc/" + pid + "/status";
  }
  FUZZ_CHECK(!"unknown node");
  return "";
}

void check_pid(StringView s) {
  auto pid = procfs::parse_pid(s);
  FUZZ_CHECK(pid.ok() == is_digits(s));
  if (pid.ok())
    FUZZ_CHECK(pid.value() == value_of(s));
  else
    FUZZ_CHECK(pid.error() == ERR_NOT_FOUND);
}

void check_path(StringView path) {
  auto parsed = procfs::parse_path(path);
  if (parsed.is_error()) {
    FUZZ_CHECK(parsed.error() == ERR_NOT_FOUND);
    return;
  }
  const procfs::Path& p = parsed.value();
  std::string want = canonical(p);
  std::string got(path.data(), path.size());
  if (p.node == procfs::Node::kProcess || p.node == procfs::Node::kProcessStatus) {
    // "/proc/" <digits> ["/" | "/status"], the digits giving the pid.
    FUZZ_CHECK(path.starts_with("/proc/"));
    StringView rest = path.substr(6);
    size_t slash = rest.find('/');
    StringView digits = rest.substr(0, slash);
    FUZZ_CHECK(is_digits(digits) && value_of(digits) == p.pid);
    StringView tail = slash == StringView::npos ? StringView() : rest.substr(slash);
    FUZZ_CHECK(p.node == procfs::Node::kProcess ? (tail.empty() || tail == StringView("/"))
                                                : tail == StringView("/status"));
  } else {
    FUZZ_CHECK(p.pid == 0);
    FUZZ_CHECK(got == want || (p.node == procfs::Node::kRoot && got == want + "/"));
  }
  auto again = procfs::parse_path(StringView(want.data(), want.size()));
  FUZZ_CHECK(again.ok() && again.value().node == p.node && again.value().pid == p.pid);
  FUZZ_CHECK(procfs::is_directory(p.node) ==
             (p.node == procfs::Node::kRoot || p.node == procfs::Node::kProcess));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto req = procfs::decode_request(data, size);
  if (req.ok()) {
    const procfs::RequestView& v = req.value();
    FUZZ_CHECK(v.op == procfs::OP_LIST || v.op == procfs::OP_READ || v.op == procfs::OP_LIST_AFTER);
    FUZZ_CHECK(v.path.size() <= procfs::PATH_LEN_MAX);
    FUZZ_CHECK(v.path.data() == reinterpret_cast<const char*>(data) + procfs::REQUEST_HEADER);
    FUZZ_CHECK(fuzz::inside(v.path.data(), v.path.size(), data, size));
    FUZZ_CHECK(size == procfs::REQUEST_HEADER + v.path.size());
    static procfs::Request out;
    auto n = procfs::encode_request(v.op, v.path, out);
    FUZZ_CHECK(n.ok() && n.value() == size && memcmp(&out, data, size) == 0);
    check_path(v.path);
  } else {
    FUZZ_CHECK(req.error() == ERR_INVALID_ARGS);
  }

  // The raw bytes as a path and as a pid, whatever the header said.
  StringView raw(reinterpret_cast<const char*>(data), size);
  check_path(raw);
  check_pid(raw);

  // Encode, then decode: the same op and path, or a clean refusal.
  for (procfs::Op op : {procfs::OP_LIST, procfs::OP_READ, procfs::OP_LIST_AFTER}) {
    static procfs::Request out;
    auto n = procfs::encode_request(op, raw, out);
    if (size > procfs::PATH_LEN_MAX) {
      FUZZ_CHECK(n.error() == ERR_OUT_OF_RANGE);
      continue;
    }
    FUZZ_CHECK(n.ok() && n.value() == procfs::REQUEST_HEADER + size);
    auto back = procfs::decode_request(&out, n.value());
    FUZZ_CHECK(back.ok() && back.value().op == op && back.value().path == raw);
  }
  static procfs::Request out;
  FUZZ_CHECK(procfs::encode_request(static_cast<procfs::Op>(4), StringView(), out).error() ==
             ERR_INVALID_ARGS);
  FUZZ_CHECK(procfs::decode_request(nullptr, size).error() == ERR_INVALID_ARGS);
  return 0;
}
