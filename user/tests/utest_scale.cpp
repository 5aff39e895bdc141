// procfs at scale: 2,000 live processes, every one listed by /proc (paged:
// a listing that long does not fit one reply) and each one's status found.
// Then all are killed. Twice: the first round grows what stays grown (this
// process's handle table, procfs's arrays); after the second every kernel
// counter must be exactly where the first left it.
// Run by init in the shell's place (init=init initargs=utest-scale), so the
// real procfs serves it. Startup handle 0 is a procfs client endpoint.
#include <libk/format.h>
#include <libk/string.h>
#include <procfs/protocol.h>

#include "common.h"

namespace {
constexpr size_t N = 2000;
keel_handle_t service;
keel_handle_t children[N];
uint64_t pids[N];
bool seen[N];

// pids[] is ascending (pids only grow): where is this one?
size_t index_of(uint64_t pid) {
  size_t lo = 0, hi = N;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (pids[mid] < pid)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

struct Listing {
  size_t entries = 0, ours = 0, twice = 0;
  uint64_t last = 0;
  bool ascending = true;
};

void on_entry(void* ctx, libk::StringView e) {
  auto* l = static_cast<Listing*>(ctx);
  l->entries++;
  auto pid = procfs::parse_pid(e);
  if (pid.is_error()) return;  // meminfo, kstat
  if (pid.value() <= l->last) l->ascending = false;
  l->last = pid.value();
  size_t i = index_of(pid.value());
  if (i < N && pids[i] == pid.value()) {
    if (seen[i]) l->twice++;
    seen[i] = true;
    l->ours++;
  }
}
}  // namespace

namespace {
void round(int n) {
  for (size_t i = 0; i < N; i++) seen[i] = false;
  const char* args[] = {"600000"};  // sleeps ten minutes: killed long before
  size_t spawned = 0;
  for (; spawned < N; spawned++) {
    if (keel::spawn("sleeper", args, 1, nullptr, 0, &children[spawned]) < 0) break;
    keel_object_info info;
    keel::object_info(children[spawned], &info);
    pids[spawned] = info.koid;
  }
  tap::ok(spawned == N, "round %d: spawned %zu of %zu sleepers", n, spawned, N);

  Listing l;
  int64_t r = procfs::list_each(service, "/proc", on_entry, &l);
  tap::expect_status(r, KEEL_OK, "ls /proc with 2,000 more processes");
  size_t missing = 0;
  for (size_t i = 0; i < spawned; i++) missing += !seen[i];
  tap::ok(l.ours == spawned && missing == 0 && l.twice == 0,
          "round %d: every one listed once (%zu entries in all, %zu of ours, %zu missing, %zu "
          "twice)",
          n, l.entries, l.ours, missing, l.twice);
  tap::ok(l.ascending, "round %d: the listing is in pid order across its pages", n);

  static char buf[procfs::DATA_MAX + 1];
  size_t found = 0;
  for (size_t i = 0; i < spawned; i++) {
    char path[48];
    libk::format(path, sizeof(path), "/proc/%lu/status", pids[i]);
    size_t len = 0;
    if (procfs::request(service, procfs::OP_READ, path, buf, sizeof(buf) - 1, &len) == KEEL_OK &&
        libk::starts_with(buf, "Name: sleeper\n"))
      found++;
  }
  tap::ok(found == spawned, "round %d: every one's status read (%zu of %zu)", n, found, spawned);

  size_t reaped = 0;
  for (size_t i = 0; i < spawned; i++) keel::process_kill(children[i]);
  for (size_t i = 0; i < spawned; i++) {
    int64_t code;
    if (keel::process_wait(children[i], &code, keel::PATIENCE_MS) == KEEL_OK) reaped++;
    keel::handle_close(children[i]);
  }
  tap::ok(reaped == spawned, "round %d: all killed and reaped (%zu)", n, reaped);
  Listing after;
  r = procfs::list_each(service, "/proc", on_entry, &after);
  tap::ok(r == KEEL_OK && after.ours == 0, "round %d: none listed once reaped (%zu; %s)", n,
          after.ours, keel_status_name(static_cast<int32_t>(r)));
}
}  // namespace

int main(int, char**) {
  tap::plan(15);
  service = keel::startup_handle(0);
  keel::KstatSnapshot* base = static_cast<keel::KstatSnapshot*>(keel::malloc(sizeof(*base)));
  round(1);
  tap::baseline(*base);
  round(2);
  tap::at_baseline(*base, "after the second 2,000");
  return tap::done();
}
