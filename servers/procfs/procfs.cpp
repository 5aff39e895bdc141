// procfs: serves /proc from user space, holding capabilities, never
// references. Startup handles: 0 = the service endpoint clients write to,
// 1 = the process directory (ENUMERATE | INSPECT only).
//
// For every process it has seen, procfs keeps one observer handle
// (INSPECT-only). An observer never keeps its process alive: when the
// process exits the kernel revokes it and puts an exit notice into the
// service endpoint's queue (process_open's notify), so procfs closes the
// handle and forgets the entry at once, without being asked; object_info
// on a revoked observer answers ERR_REVOKED too, so a request for a pid that
// has just exited gets ERR_NOT_FOUND, never a stale answer.
#include <libk/format.h>
#include <libk/string.h>
#include <procfs/protocol.h>

#include "keel.h"

namespace {

keel_handle_t service, directory;

// Every process procfs has seen, sorted by pid: found by binary search, and
// as many as there are processes (the array grows; memory is the limit).
struct Entry {
  uint64_t pid;
  keel_handle_t observer;
};
Entry* entries = nullptr;
size_t count = 0, capacity = 0;

// The first entry whose pid is not below `pid` (count if none).
size_t lower_bound(uint64_t pid) {
  size_t lo = 0, hi = count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (entries[mid].pid < pid)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

Entry* find(uint64_t pid) {
  size_t i = lower_bound(pid);
  return i < count && entries[i].pid == pid ? &entries[i] : nullptr;
}

// An array of at least n entries; false (nothing changed) without memory.
bool reserve(size_t n) {
  if (n <= capacity) return true;
  size_t cap = capacity ? capacity : 64;
  while (cap < n) cap *= 2;
  auto* grown = static_cast<Entry*>(keel::malloc(cap * sizeof(Entry)));
  if (!grown) return false;
  if (count) memcpy(grown, entries, count * sizeof(Entry));
  keel::free(entries);
  entries = grown;
  capacity = cap;
  return true;
}

void forget(Entry& e) {
  keel::handle_close(e.observer);
  size_t i = static_cast<size_t>(&e - entries);
  memmove(&entries[i], &entries[i + 1], (count - i - 1) * sizeof(Entry));
  count--;
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

// The entry for `pid`, opening an observer if there is none yet: O(log n)
// plus one kernel lookup. ERR_NOT_FOUND if no such process runs.
libk::Result<Entry*> entry_for(uint64_t pid) {
  if (Entry* e = find(pid)) return e;
  if (!reserve(count + 1)) return libk::err(ERR_NO_MEMORY);
  keel_handle_t obs;
  int64_t r = keel::process_open(directory, pid, &obs, service);
  if (r < 0) return libk::err(static_cast<keel_status>(r));
  size_t i = lower_bound(pid);
  memmove(&entries[i + 1], &entries[i], (count - i) * sizeof(Entry));
  entries[i] = Entry{pid, obs};
  count++;
  return &entries[i];
}

// The kernel's pids, ascending, paged (a process_list call returns at most
// PAGE) into a buffer that grows with the system.
constexpr size_t PAGE = 4096;
uint64_t* pids = nullptr;
size_t pids_capacity = 0;

libk::Result<size_t> fetch_pids() {
  size_t n = 0;
  uint64_t after = 0;
  for (;;) {
    if (pids_capacity < n + PAGE) {
      size_t cap = pids_capacity ? pids_capacity * 2 : PAGE;
      while (cap < n + PAGE) cap *= 2;
      auto* grown = static_cast<uint64_t*>(keel::malloc(cap * sizeof(uint64_t)));
      if (!grown) return libk::err(ERR_NO_MEMORY);
      if (n) memcpy(grown, pids, n * sizeof(uint64_t));
      keel::free(pids);
      pids = grown;
      pids_capacity = cap;
    }
    size_t total = 0;
    int64_t r = keel::process_list(directory, pids + n, PAGE, &total, after);
    if (r < 0 && r != ERR_BUFFER_TOO_SMALL) return libk::err(static_cast<keel_status>(r));
    size_t got = total < PAGE ? total : PAGE;
    n += got;
    if (total <= PAGE || got == 0) return n;
    after = pids[n - 1];
  }
}

// Bring the table in line with the kernel's list of processes, in one merge
// of two sorted lists: an entry whose pid the kernel no longer lists is
// gone (pids are never reused), a listed pid without an entry is opened.
// KEEL_OK, or why the table may be incomplete (the kernel ran out of memory
// listing or opening a process): then the caller answers with that status
// rather than a listing with holes.
int32_t refresh() {
  size_t n = TRY(fetch_pids());
  if (!reserve(n)) return ERR_NO_MEMORY;
  // Old entries are consumed from the front while kept ones are written
  // from the front of the same array: the write index never passes the
  // read index, except for new pids, which are gathered after the merge.
  size_t read = 0, write = 0, i = 0, added = 0;
  int32_t status = KEEL_OK;
  for (; i < n; i++) {
    while (read < count && entries[read].pid < pids[i])  // exited
      keel::handle_close(entries[read++].observer);
    if (read < count && entries[read].pid == pids[i]) {
      entries[write++] = entries[read++];
    } else {
      pids[added++] = pids[i];  // to open (added <= i: pids[] is read ahead of it)
    }
  }
  while (read < count) keel::handle_close(entries[read++].observer);
  count = write;
  for (size_t k = 0; k < added; k++) {
    auto e = entry_for(pids[k]);
    if (e.is_error() && e.error() == ERR_NO_MEMORY) status = ERR_NO_MEMORY;
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

// A live process: what its busiest task does; else exited.
const char* state_name(const keel_object_info& info) {
  if (info.state == KEEL_STATE_EXITED) return "exited";
  switch (info.activity) {
    case KEEL_ACTIVITY_RUNNING:
      return "running";
    case KEEL_ACTIVITY_READY:
      return "ready";
    case KEEL_ACTIVITY_BLOCKED:
      return "blocked";
    case KEEL_ACTIVITY_SLEEPING:
      return "sleeping";
  }
  return "starting";  // no task has started yet (or the last is leaving)
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
  auto found = entry_for(pid);
  if (found.is_error()) return found.error();
  keel_object_info info;
  int64_t r = inspect(*found.value(), &info);
  if (r < 0) return static_cast<int32_t>(r);
  info.name[KEEL_NAME_MAX - 1] = 0;
  out.add("Name: %s\nPid: %lu\nPPid: %lu\nState: %s\nTasks: %lu\nPages: %lu\nHandles: %lu\n",
          info.name, info.koid, info.related_koid, state_name(info), info.tasks, info.pages,
          info.handles);
  // The job tree from the process's job up to the root: "Job: 12 < 5 < 1".
  out.add("Job:");
  for (size_t i = 0; i < KEEL_JOB_MAX_DEPTH && info.job_path[i]; i++)
    out.add(i ? " < %lu" : " %lu", info.job_path[i]);
  out.add("\n");
  return KEEL_OK;
}

// /proc's entries after `after` (0: from the start), as many as fit; a page
// that is not the last ends with procfs::MORE.
int32_t list_root(Out& out, uint64_t after) {
  if (int32_t r = refresh(); r < 0) return r;
  constexpr size_t TAIL = 16;  // room kept for "more\n" or "meminfo\nkstat\n"
  for (size_t i = lower_bound(after + 1); i < count; i++) {
    if (out.r.len + 21 + TAIL > procfs::DATA_MAX) {  // a pid is at most 20 digits and \n
      out.add("%s\n", procfs::MORE);
      return KEEL_OK;
    }
    out.add("%lu\n", entries[i].pid);
  }
  out.add("meminfo\nkstat\n");
  return KEEL_OK;
}

int32_t list(Out& out, procfs::Op op, const procfs::Path& path) {
  if (op == procfs::OP_LIST_AFTER) {
    if (path.node != procfs::Node::kProcess) return ERR_INVALID_ARGS;
    return list_root(out, path.pid);
  }
  if (!procfs::is_directory(path.node)) return ERR_INVALID_ARGS;
  if (path.node == procfs::Node::kRoot) return list_root(out, 0);
  auto found = entry_for(path.pid);
  if (found.is_error()) return found.error();
  keel_object_info info;
  if (int64_t r = inspect(*found.value(), &info); r < 0) return static_cast<int32_t>(r);
  out.add("status\n");
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
  return req.op == procfs::OP_READ ? read(out, path.value()) : list(out, req.op, path.value());
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
  if (nh == 0 && got == sizeof(keel_exit_notice)) {  // a process we observe exited
    keel_exit_notice n;
    memcpy(&n, &req, sizeof(n));
    if (n.magic != KEEL_EXIT_NOTICE_MAGIC) return;
    // Anyone with a client end could send these bytes: check with the kernel.
    keel_object_info info;
    if (Entry* e = find(n.pid)) (void)inspect(*e, &info);  // forgets it if revoked
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
