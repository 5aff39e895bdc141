// Regression for the third root cause of the task leak this kernel exists to
// prevent: procfs handing out strong references that keep processes alive.
// Run by init in the shell's place (init=init initargs=utest-procfs), so the
// real procfs serves it. Startup handle 0 is a procfs client endpoint.
//
// 1,000 rounds of spawn + ls /proc + cat /proc/<pid>/status + exit, then
// kills of processes procfs is observing: processes_live, tasks_live,
// frames_free, handles_live (every counter, in fact) exactly back at the
// baseline. procfs's own steady-state handles exist at the baseline too.
// And procfs drops the observer of an exited process without being asked
// (the kernel's exit notice), which the counters show.
#include <libk/format.h>
#include <libk/string.h>
#include <procfs/protocol.h>

#include "common.h"

namespace {
keel_handle_t service;
char buf[procfs::DATA_MAX + 1];

uint64_t pid_of(keel_handle_t p) {
  keel_object_info info;
  return keel::object_info(p, &info) == KEEL_OK ? info.koid : 0;
}

bool listed(uint64_t pid) {
  size_t len;
  if (procfs::request(service, procfs::OP_LIST, "/proc", buf, sizeof(buf) - 1, &len) != KEEL_OK)
    return false;
  char want[24];
  libk::format(want, sizeof(want), "%lu", pid);
  libk::StringView rest(buf, len);
  while (!rest.empty())
    if (libk::next_token(rest, '\n') == libk::StringView(want)) return true;
  return false;
}

int64_t status_of(uint64_t pid) {
  char path[48];
  libk::format(path, sizeof(path), "/proc/%lu/status", pid);
  size_t len;
  return procfs::request(service, procfs::OP_READ, path, buf, sizeof(buf) - 1, &len);
}

// One round with a live child: it is listed and its status is right.
bool spawn_observe_exit() {
  keel_handle_t ctl, child_end, child;
  if (keel::channel_create(&ctl, &child_end) < 0) return false;
  const char* args[] = {"2"};
  if (keel::spawn("holder", args, 1, &child_end, 1, &child) < 0) return false;
  char ready[8];
  size_t n;
  bool ok = keel::read_message(ctl, ready, sizeof(ready), &n, nullptr, 0, nullptr,
                               keel::PATIENCE_MS) == KEEL_OK;
  uint64_t pid = pid_of(child);
  ok &= listed(pid);
  ok &= status_of(pid) == KEEL_OK && libk::starts_with(buf, "Name: holder\n") &&
        libk::StringView(buf).find('\n') != libk::StringView::npos;
  keel::handle_close(ctl);
  int64_t code = -1;
  ok &= keel::process_wait(child, &code, keel::PATIENCE_MS) == KEEL_OK && code == 0;
  return ok;
}

// A child procfs is observing gets killed: afterwards procfs says not found.
bool kill_while_observed() {
  keel_handle_t child;
  if (keel::spawn("spin", nullptr, 0, nullptr, 0, &child) < 0) return false;
  uint64_t pid = pid_of(child);
  bool ok = status_of(pid) == KEEL_OK && listed(pid);
  ok &= keel::process_kill(child) == KEEL_OK;
  int64_t code = 0;
  ok &= keel::process_wait(child, &code, keel::PATIENCE_MS) == KEEL_OK && code == KEEL_EXIT_KILLED;
  ok &= status_of(pid) == ERR_NOT_FOUND;  // not a stale answer
  ok &= !listed(pid);
  return ok;
}

// procfs learns of an exit without being asked: once a process it observes
// has exited, its observer goes (the exit notice), with no request made.
bool dropped_unasked() {
  keel_handle_t child;
  if (keel::spawn("spin", nullptr, 0, nullptr, 0, &child) < 0) return false;
  int64_t links = utest::counter("objects_observer_link");
  bool ok = status_of(pid_of(child)) == KEEL_OK;  // procfs observes it now
  ok &= utest::counter("objects_observer_link") == links + 1;
  int64_t code = 0;
  ok &= keel::process_kill(child) == KEEL_OK &&
        keel::process_wait(child, &code, keel::PATIENCE_MS) == KEEL_OK;
  bool gone = false;
  for (uint64_t t0 = keel::clock_ms(); !gone && keel::clock_ms() - t0 < keel::PATIENCE_MS;) {
    gone = utest::counter("objects_observer_link") == links;
    if (!gone) keel::sleep_ms(5);
  }
  return ok && gone;
}
}  // namespace

int main(int, char**) {
  service = keel::startup_handle(0);
  tap::plan(7);
  keel::KstatSnapshot base;
  spawn_observe_exit();  // warm up the heap and procfs's table
  kill_while_observed();
  listed(0);
  tap::baseline(base);

  int failures = 0;
  for (int i = 0; i < 1000; i++)
    if (!spawn_observe_exit()) failures++;
  tap::ok(failures == 0, "1000 rounds of spawn + ls /proc + cat status + exit (%d failed)",
          failures);
  listed(0);
  tap::at_baseline(base, "after 1000 observed processes");

  failures = 0;
  for (int i = 0; i < 100; i++)
    if (!kill_while_observed()) failures++;
  tap::ok(failures == 0, "100 kills of processes procfs observes (%d failed)", failures);
  listed(0);
  tap::at_baseline(base, "after 100 kills");

  int64_t v = 0;
  keel::KstatSnapshot now;
  keel::kstat_snapshot(now);
  int64_t before = 0;
  keel::kstat_value(base, "processes_live", &before);
  tap::ok(keel::kstat_value(now, "processes_live", &v) && v == before, "processes_live %ld == %ld",
          v, before);
  tap::expect_status(status_of(999999), ERR_NOT_FOUND, "status of a pid that never existed");
  failures = 0;
  for (int i = 0; i < 20; i++)
    if (!dropped_unasked()) failures++;
  tap::ok(failures == 0, "20 exits: procfs drops each observer without a request (%d failed)",
          failures);
  return tap::done();
}
