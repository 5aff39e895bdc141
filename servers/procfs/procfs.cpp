// procfs: serves /proc from user space, holding capabilities, never
// references. Startup handles: 0 = the service endpoint clients write to,
// 1 = the process directory (ENUMERATE | INSPECT only).
//
// For every process it has seen, procfs keeps one observer handle
// (INSPECT-only). An observer never keeps its process alive: when the
// process exits the kernel revokes it, object_info answers ERR_REVOKED, and
// procfs closes the handle and forgets the entry. A request for a pid that
// has just exited therefore gets ERR_NOT_FOUND, never a stale answer.
#include <libk/format.h>
#include <libk/string.h>
#include <procfs/protocol.h>

#include "keel.h"

namespace {

keel_handle_t service, directory;

struct Entry {
  uint64_t pid;
  keel_handle_t observer;  // KEEL_HANDLE_INVALID: free slot
};
constexpr size_t MAX_ENTRIES = 256;
Entry entries[MAX_ENTRIES];

Entry* find(uint64_t pid) {
  for (Entry& e : entries)
    if (e.observer != KEEL_HANDLE_INVALID && e.pid == pid) return &e;
  return nullptr;
}

void forget(Entry& e) {
  keel::handle_close(e.observer);
  e.observer = KEEL_HANDLE_INVALID;
  e.pid = 0;
}

// Information about a live process through its observer; drops the entry
// and returns ERR_NOT_FOUND once the kernel has revoked it.
int64_t inspect(Entry& e, keel_object_info* info) {
  int64_t r = keel::object_info(e.observer, info);
  if (r == ERR_REVOKED || r == ERR_BAD_HANDLE) {
    forget(e);
    return ERR_NOT_FOUND;
  }
  return r;
}

// Bring the table in line with the kernel's list of processes. KEEL_OK, or
// why the table may be incomplete (the kernel ran out of memory listing or
// opening a process): then the caller answers with that status rather than
// a listing with holes or a wrong "not found".
int32_t refresh() {
  static uint64_t pids[MAX_ENTRIES];
  size_t n = 0;
  int64_t listed = keel::process_list(directory, pids, MAX_ENTRIES, &n);
  if (listed < 0) return static_cast<int32_t>(listed);
  if (n > MAX_ENTRIES) n = MAX_ENTRIES;
  int32_t status = KEEL_OK;
  for (Entry& e : entries) {  // drop what was revoked
    if (e.observer == KEEL_HANDLE_INVALID) continue;
    keel_object_info info;
    inspect(e, &info);
  }
  for (size_t i = 0; i < n; i++) {
    if (find(pids[i])) continue;
    for (Entry& e : entries) {
      if (e.observer != KEEL_HANDLE_INVALID) continue;
      int64_t r = keel::process_open(directory, pids[i], &e.observer);
      if (r == KEEL_OK) {
        e.pid = pids[i];
      } else {
        e.observer = KEEL_HANDLE_INVALID;  // exited in between, or no memory
        if (r == ERR_NO_MEMORY) status = ERR_NO_MEMORY;
      }
      break;
    }
  }
  return status;
}

struct Out {
  procfs::Reply& r;
  void add(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
    va_list ap;
    va_start(ap, fmt);
    size_t room = procfs::DATA_MAX - r.len;
    size_t n = libk::vformat(r.data + r.len, room, fmt, ap);
    va_end(ap);
    r.len += n < room ? static_cast<uint32_t>(n) : static_cast<uint32_t>(room ? room - 1 : 0);
  }
};

const char* state_name(uint32_t s) {
  return s == KEEL_STATE_RUNNING ? "running" : s == KEEL_STATE_EXITED ? "exited" : "unknown";
}

int32_t read_kstat(Out& out) {
  size_t len = 0;
  int64_t r = keel::kstat_read(out.r.data, procfs::DATA_MAX, &len);
  if (r < 0) return static_cast<int32_t>(r);
  out.r.len = static_cast<uint32_t>(len);
  return KEEL_OK;
}

int32_t read_meminfo(Out& out) {
  keel::KstatSnapshot* s =
      static_cast<keel::KstatSnapshot*>(keel::malloc(sizeof(keel::KstatSnapshot)));
  if (!s) return ERR_NO_MEMORY;
  keel::kstat_snapshot(*s);
  int64_t total = 0, free = 0;
  keel::kstat_value(*s, "frames_total", &total);
  keel::kstat_value(*s, "frames_free", &free);
  keel::free(s);
  out.add("MemTotal: %ld kB\nMemFree: %ld kB\nFramesTotal: %ld\nFramesFree: %ld\n", total * 4,
          free * 4, total, free);
  return KEEL_OK;
}

int32_t read_status(Out& out, uint64_t pid) {
  int32_t refreshed = refresh();
  Entry* e = find(pid);
  if (!e && refreshed < 0) return refreshed;
  if (!e) return ERR_NOT_FOUND;
  keel_object_info info;
  int64_t r = inspect(*e, &info);
  if (r < 0) return static_cast<int32_t>(r);
  info.name[KEEL_NAME_MAX - 1] = 0;
  out.add("Name: %s\nPid: %lu\nPPid: %lu\nState: %s\nTasks: %lu\nPages: %lu\nHandles: %lu\n",
          info.name, info.koid, info.related_koid, state_name(info.state), info.tasks, info.pages,
          info.handles);
  return KEEL_OK;
}

int32_t list(Out& out, const procfs::Path& path) {
  if (!procfs::is_directory(path.node)) return ERR_INVALID_ARGS;
  if (int32_t r = refresh(); r < 0) return r;
  if (path.node == procfs::Node::kProcess) {
    if (!find(path.pid)) return ERR_NOT_FOUND;
    out.add("status\n");
    return KEEL_OK;
  }
  for (Entry& e : entries)
    if (e.observer != KEEL_HANDLE_INVALID) out.add("%lu\n", e.pid);
  out.add("meminfo\nkstat\n");
  return KEEL_OK;
}

int32_t read(Out& out, const procfs::Path& path) {
  switch (path.node) {
    case procfs::Node::kMeminfo:
      return read_meminfo(out);
    case procfs::Node::kKstat:
      return read_kstat(out);
    case procfs::Node::kProcessStatus:
      return read_status(out, path.pid);
    case procfs::Node::kRoot:
    case procfs::Node::kProcess:
      break;
  }
  return ERR_INVALID_ARGS;  // a directory
}

// Answers one decoded request.
int32_t answer(Out& out, const procfs::RequestView& req) {
  auto path = procfs::parse_path(req.path);
  if (path.is_error()) return path.error();
  return req.op == procfs::OP_LIST ? list(out, path.value()) : read(out, path.value());
}

void serve_one() {
  static procfs::Request req;
  static procfs::Reply reply;
  size_t got = 0, nh = 0;
  keel_handle_t reply_to = KEEL_HANDLE_INVALID;
  int64_t r = keel::read_message(service, &req, sizeof(req), &got, &reply_to, 1, &nh);
  if (r == ERR_PEER_CLOSED) keel::exit(0);  // nobody can reach us any more
  if (r < 0 && r != ERR_BUFFER_TOO_SMALL) return;
  if (r == ERR_BUFFER_TOO_SMALL) {  // drain the oversized request, it gets no answer
    static char junk[KEEL_CHANNEL_MAX_BYTES];
    keel_handle_t hs[KEEL_CHANNEL_MAX_HANDLES];
    keel::read_message(service, junk, sizeof(junk), &got, hs, KEEL_CHANNEL_MAX_HANDLES, &nh, 0);
    for (size_t i = 0; i < nh; i++) keel::handle_close(hs[i]);
    return;
  }
  if (nh != 1) return;  // nowhere to answer
  reply.len = 0;
  Out out{reply};
  auto decoded = procfs::decode_request(&req, got);
  int32_t status = decoded.ok() ? answer(out, decoded.value()) : decoded.error();
  // No memory for the reply: say so in a reply with no data (smaller, so
  // it may fit; a few tries); only if every try fails does the client see
  // the reply channel close unanswered.
  if (keel::channel_write(reply_to, &reply, procfs::finish_reply(reply, status)) == ERR_NO_MEMORY) {
    reply.len = 0;
    size_t size = procfs::finish_reply(reply, ERR_NO_MEMORY);
    for (int i = 0; i < 4 && keel::channel_write(reply_to, &reply, size) == ERR_NO_MEMORY; i++) {
    }
  }
  keel::handle_close(reply_to);
}

}  // namespace

int main(int, char**) {
  if (keel::startup_handle_count() < 2) {
    keel::printf("procfs: needs a service endpoint and the process directory\n");
    return 2;
  }
  service = keel::startup_handle(0);
  directory = keel::startup_handle(1);
  for (;;) serve_one();
}
