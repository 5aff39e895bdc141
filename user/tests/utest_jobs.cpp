// Jobs: a process belongs to one, jobs nest, a job's quota bounds its
// subtree, killing a job (or closing its last handle) kills the subtree and
// returns once everything in it is torn down. Run as init (startup handle 0
// the process directory, 1 the root job), so this process is in the root job.
#include "common.h"

namespace {
using utest::expect;

using utest::make_job;
using utest::spawn_in;
using utest::spawn_or_diag;
constexpr keel_job_limits NONE = utest::NO_LIMITS;

bool exited_killed(keel_handle_t p) {
  keel_object_info info = utest::info_of(p);
  return info.state == KEEL_STATE_EXITED && info.exit_code == KEEL_EXIT_KILLED;
}

// Poll a job's usage (object_info's tasks: its processes) until it is n.
bool await_processes(keel_handle_t job, uint64_t n) {
  for (uint64_t start = keel::clock_ms(); keel::clock_ms() - start < keel::PATIENCE_MS;) {
    if (utest::info_of(job).tasks == n) return true;
    keel::sleep_ms(5);
  }
  return false;
}

void tree_and_info(const keel::KstatSnapshot& base) {
  keel_object_info root = utest::info_of(keel::startup_handle(1));
  tap::ok(root.type == KEEL_OBJ_JOB && root.related_koid == 0 && root.job_path[0] == root.koid &&
              root.job_path[1] == 0,
          "startup handle 1 is the root job (no parent)");
  keel_handle_t self = utest::start("exitcode");
  tap::ok(utest::info_of(self).job_path[0] == root.koid,
          "a process spawned with no job is in ours");
  utest::reap(self, false);

  keel_handle_t a = make_job();
  keel_handle_t b = make_job(a);
  keel_object_info ia = utest::info_of(a), ib = utest::info_of(b);
  tap::ok(ia.type == KEEL_OBJ_JOB && ia.related_koid == root.koid && ib.related_koid == ia.koid &&
              ib.job_path[0] == ib.koid && ib.job_path[1] == ia.koid &&
              ib.job_path[2] == root.koid && ib.job_path[3] == 0,
          "nested jobs: related_koid is the parent, job_path the chain to the root");
  tap::ok(ia.rights == KEEL_JOB_RIGHTS, "a new job's handle has KEEL_JOB_RIGHTS");
  keel_handle_t p = spawn_or_diag(b, "sleeper", "100000");
  keel_object_info ip = utest::info_of(p);
  tap::ok(ip.job_path[0] == ib.koid && ip.job_path[1] == ia.koid && ip.job_path[2] == root.koid,
          "a process spawned into a job: its job_path starts there");
  ia = utest::info_of(a);
  tap::ok(ia.tasks == 1 && ia.pages > 0 && utest::info_of(b).tasks == 1,
          "a job's usage counts its child jobs' processes and frames");
  utest::reap(p);
  tap::ok(await_processes(a, 0) && utest::info_of(a).pages == 0 && utest::info_of(a).handles == 0,
          "usage back to 0 once the process is torn down");

  // Depth: the root is 1, so seven more levels fit and the eighth does not.
  keel_handle_t chain[KEEL_JOB_MAX_DEPTH];
  size_t made = 0;
  keel_handle_t parent = KEEL_HANDLE_INVALID;
  keel_job_limits none{};
  while (made < KEEL_JOB_MAX_DEPTH && keel::job_create(parent, &none, &chain[made]) == KEEL_OK)
    parent = chain[made++];
  keel_handle_t extra;
  expect(keel::job_create(parent, &none, &extra), ERR_OUT_OF_RANGE,
         "job_create %zu levels below the root: ERR_OUT_OF_RANGE", made + 1);
  tap::ok(made == KEEL_JOB_MAX_DEPTH - 1, "%zu levels below the root fit (depth %u)", made,
          KEEL_JOB_MAX_DEPTH);
  for (size_t i = made; i > 0; i--) keel::handle_close(chain[i - 1]);
  keel::handle_close(b);
  keel::handle_close(a);
  tap::at_baseline(base, "jobs made and closed: every counter back");
}

void bad_input(const keel::KstatSnapshot& base) {
  keel_handle_t j = make_job();
  keel_handle_t out = KEEL_HANDLE_INVALID;
  keel_handle_t ch0, ch1;
  keel::channel_create(&ch0, &ch1);
  expect(keel::job_create(ch0, &NONE, &out), ERR_WRONG_TYPE, "job_create under a channel");
  expect(keel::job_create(0x7777, &NONE, &out), ERR_BAD_HANDLE, "job_create under a bad handle");
  expect(spawn_in(ch0, "hello", nullptr, &out), ERR_WRONG_TYPE, "spawn into a channel");
  expect(keel::job_kill(ch0), ERR_WRONG_TYPE, "job_kill of a channel");
  expect(keel::job_kill(KEEL_HANDLE_INVALID), ERR_BAD_HANDLE, "job_kill of no handle");
  size_t actual;
  uint64_t pids[4];
  expect(keel::job_list(ch0, pids, 4, &actual), ERR_WRONG_TYPE, "job_list of a channel");
  expect(keel::job_open(ch0, 1, &out), ERR_WRONG_TYPE, "job_open of a channel");

  // Rights: each call needs its own.
  struct {
    uint32_t drop;
    const char* what;
  } rights[] = {
      {KEEL_RIGHT_SPAWN, "SPAWN"}, {KEEL_RIGHT_KILL, "KILL"}, {KEEL_RIGHT_ENUMERATE, "ENUMERATE"}};
  for (auto& r : rights) {
    keel_handle_t weak;
    keel::handle_duplicate(j, KEEL_JOB_RIGHTS & ~r.drop, &weak);
    bool denied = true;
    if (r.drop == KEEL_RIGHT_SPAWN) {
      denied &= spawn_in(weak, "hello", nullptr, &out) == ERR_ACCESS_DENIED;
      denied &= keel::job_create(weak, &NONE, &out) == ERR_ACCESS_DENIED;
    } else if (r.drop == KEEL_RIGHT_KILL) {
      denied &= keel::job_kill(weak) == ERR_ACCESS_DENIED;
      denied &= keel::job_open(weak, 1, &out) == ERR_ACCESS_DENIED;
    } else {
      denied &= keel::job_list(weak, pids, 4, &actual) == ERR_ACCESS_DENIED;
      denied &= keel::job_open(weak, 1, &out) == ERR_ACCESS_DENIED;
    }
    tap::ok(denied, "a job handle without %s: the calls that need it are refused", r.what);
    keel::handle_close(weak);
  }

  utest::each_bad_pointer("job_create limits", false, [&](uintptr_t a) {
    return keel::job_create(KEEL_HANDLE_INVALID, utest::ptr<keel_job_limits>(a), &out);
  });
  utest::each_bad_pointer("job_create out", true, [&](uintptr_t a) {
    return keel::job_create(KEEL_HANDLE_INVALID, &NONE, utest::ptr<keel_handle_t>(a));
  });
  keel_handle_t member = spawn_or_diag(j, "sleeper", "100000");  // something to list
  utest::each_bad_pointer("job_list pids", true, [&](uintptr_t a) {
    return keel::job_list(j, utest::ptr<uint64_t>(a), 4, &actual);
  });
  utest::each_bad_pointer("job_list actual", true, [&](uintptr_t a) {
    return keel::job_list(j, pids, 4, utest::ptr<size_t>(a));
  });
  utest::each_bad_pointer("job_open out", true, [&](uintptr_t a) {
    return keel::job_open(j, 1, utest::ptr<keel_handle_t>(a));
  });
  expect(keel::job_list(j, pids, 4097, &actual), ERR_INVALID_ARGS, "job_list cap over 4096");
  utest::reap(member);
  keel::handle_close(ch0);
  keel::handle_close(ch1);
  keel::handle_close(j);
  tap::at_baseline(base, "bad job calls: nothing made, nothing lost");
}

void quotas(const keel::KstatSnapshot& base) {
  // Processes.
  keel_handle_t j = make_job(KEEL_HANDLE_INVALID, keel_job_limits{3, 0, 0});
  keel_handle_t ps[3];
  for (auto& p : ps) p = spawn_or_diag(j, "sleeper", "100000");
  keel_handle_t extra = KEEL_HANDLE_INVALID;
  expect(spawn_in(j, "sleeper", "100000", &extra), ERR_NO_MEMORY,
         "a 4th process in a job limited to 3: ERR_NO_MEMORY");
  keel_handle_t sub = make_job(j);  // no limit of its own: the parent's applies
  expect(spawn_in(sub, "sleeper", "100000", &extra), ERR_NO_MEMORY,
         "a child job with no limit of its own is bound by its parent's");
  utest::reap(ps[0]);
  keel_handle_t again = spawn_or_diag(sub, "sleeper", "100000");
  tap::ok(again != KEEL_HANDLE_INVALID, "once one is torn down, another fits (in the child job)");
  utest::reap(again);
  utest::reap(ps[1]);
  utest::reap(ps[2]);
  keel::handle_close(sub);
  keel::handle_close(j);

  // Handles: holder N makes N handles and exits 1 when one is refused.
  j = make_job(KEEL_HANDLE_INVALID, keel_job_limits{0, 40, 0});
  keel_handle_t h = spawn_or_diag(j, "holder", "100");
  tap::ok(utest::reap(h, false) == 1, "holder 100 in a job of 40 handles: a handle is refused");
  h = spawn_or_diag(j, "holder", "20");
  tap::ok(utest::reap(h, false) == 0, "holder 20 in the same job: every handle fits (exit 0)");
  keel_handle_t hs[3];
  for (auto& x : hs)
    keel::handle_duplicate(utest::dir(), KEEL_RIGHT_INSPECT | KEEL_RIGHT_TRANSFER, &x);
  keel_handle_t tiny = make_job(KEEL_HANDLE_INVALID, keel_job_limits{0, 2, 0});
  keel_spawn_args a{};
  a.name = "hello";
  a.name_len = 5;
  a.args = "hello";
  a.args_len = 6;
  a.argc = 1;
  a.handles = hs;
  a.num_handles = 3;
  a.job = tiny;
  expect(keel::process_spawn(&a, &extra), ERR_NO_MEMORY,
         "spawn with 3 handles into a job of 2 handles: ERR_NO_MEMORY");
  tap::ok(utest::info_of(hs[0]).type == KEEL_OBJ_PROCESS_DIRECTORY,
          "the refused spawn left the handles with the caller");
  for (auto& x : hs) keel::handle_close(x);
  keel::handle_close(tiny);
  keel::handle_close(j);

  // Frames: a program needs more than 4, and a child job cannot raise its parent's limit.
  j = make_job(KEEL_HANDLE_INVALID, keel_job_limits{0, 0, 4});
  sub = make_job(j, keel_job_limits{0, 0, 100000});
  expect(spawn_in(sub, "hello", nullptr, &extra), ERR_NO_MEMORY,
         "spawn into a job under a 4-frame limit: ERR_NO_MEMORY");
  tap::ok(utest::info_of(j).pages == 0, "the refused spawn left no frame charged");
  keel::handle_close(sub);
  keel::handle_close(j);

  // The fork bomb: contained at its quota, then killed whole.
  j = make_job(KEEL_HANDLE_INVALID, keel_job_limits{20, 0, 0});
  keel_handle_t bomb = spawn_or_diag(j, "forkbomb");
  tap::ok(await_processes(j, 20), "forkbomb fills its job's 20 processes");
  keel::sleep_ms(200);
  tap::ok(utest::info_of(j).tasks == 20, "and stays at 20 while it keeps trying");
  expect(keel::job_kill(j), KEEL_OK, "job_kill of the fork bomb's job");
  tap::ok(utest::info_of(j).tasks == 0 && utest::info_of(j).pages == 0 && exited_killed(bomb),
          "when job_kill returns, every copy is torn down");
  utest::reap(bomb, false);
  keel::handle_close(j);
  tap::at_baseline(base, "quotas: every counter back");
}

void killing(const keel::KstatSnapshot& base) {
  keel_handle_t j = make_job();
  keel_handle_t sub = make_job(j);
  keel_handle_t ps[4] = {spawn_or_diag(j, "sleeper", "100000"), spawn_or_diag(j, "spin"),
                         spawn_or_diag(sub, "spin"), spawn_or_diag(sub, "sleeper", "100000")};
  uint64_t pids[8];
  size_t n = 0;
  expect(keel::job_list(j, pids, 8, &n), KEEL_OK, "job_list");
  bool ascending = n == 4;
  for (size_t i = 1; i < n; i++) ascending &= pids[i - 1] < pids[i];
  tap::ok(ascending && pids[0] == utest::info_of(ps[0]).koid,
          "job_list: the 4 processes of the job and its child, ascending");
  expect(keel::job_list(sub, pids, 8, &n), KEEL_OK, "job_list of the child");
  tap::ok(n == 2, "the child job lists only its own 2");
  expect(keel::job_list(j, pids, 1, &n), ERR_BUFFER_TOO_SMALL, "job_list with room for 1");
  tap::ok(n == 4, "and says there are 4");
  expect(keel::job_list(j, pids, 8, &n, pids[0]), KEEL_OK, "job_list after the first");
  tap::ok(n == 3, "the cursor skips it");

  keel_handle_t opened;
  expect(keel::job_open(j, utest::info_of(ps[3]).koid, &opened), KEEL_OK,
         "job_open of a process in a child job");
  tap::ok(utest::info_of(opened).rights == (KEEL_RIGHT_KILL | KEEL_RIGHT_WAIT | KEEL_RIGHT_INSPECT),
          "its handle may kill, wait and inspect");
  keel::handle_close(opened);
  expect(keel::job_open(sub, utest::info_of(ps[0]).koid, &opened), ERR_NOT_FOUND,
         "job_open of a process in the parent job: ERR_NOT_FOUND");
  expect(keel::job_open(j, utest::self_pid(), &opened), ERR_NOT_FOUND,
         "job_open of a process outside the job: ERR_NOT_FOUND");

  expect(keel::job_kill(j), KEEL_OK, "job_kill");
  bool all = true;
  for (auto p : ps) all &= exited_killed(p);
  tap::ok(all && utest::info_of(j).tasks == 0 && utest::info_of(sub).tasks == 0,
          "when job_kill returns every process of the job and its child is torn down");
  keel_handle_t late;
  expect(spawn_in(sub, "hello", nullptr, &late), ERR_BAD_STATE, "spawn into a killed job");
  expect(keel::job_create(j, &NONE, &late), ERR_BAD_STATE, "job_create under a killed job");
  tap::ok(utest::info_of(j).state == KEEL_STATE_EXITED, "a killed job's state is EXITED");
  expect(keel::job_kill(j), KEEL_OK, "job_kill again: nothing left to do");
  for (auto p : ps) utest::reap(p, false);
  keel::handle_close(sub);
  keel::handle_close(j);

  // The last handle closed kills the job: a duplicate keeps it, the last close ends it.
  j = make_job();
  keel_handle_t spinner = spawn_or_diag(j, "spin");
  keel_handle_t dup;
  keel::handle_duplicate(j, KEEL_RIGHTS_SAME, &dup);
  keel::handle_close(j);
  keel::sleep_ms(50);
  tap::ok(utest::info_of(spinner).state == KEEL_STATE_RUNNING, "a job with a handle left lives");
  keel::handle_close(dup);
  tap::ok(exited_killed(spinner), "closing its last handle kills it before the close returns");
  utest::reap(spinner, false);

  // In transit: a job handle in a message keeps the job; the message's end kills it.
  j = make_job();
  spinner = spawn_or_diag(j, "spin");
  keel_handle_t c0, c1;
  keel::channel_create(&c0, &c1);
  expect(keel::channel_write(c0, "j", 1, &j, 1), KEEL_OK, "a job handle sent through a channel");
  keel::sleep_ms(50);
  tap::ok(utest::info_of(spinner).state == KEEL_STATE_RUNNING, "the job lives while it travels");
  keel::handle_close(c1);  // the queued message goes, and the job's last handle with it
  tap::ok(utest::await_exit(spinner) && exited_killed(spinner),
          "when the message carrying its last handle is freed, the job dies");
  keel::handle_close(c0);
  utest::reap(spinner, false);
  tap::at_baseline(base, "killing jobs: every counter back");
}
}  // namespace

int main(int, char**) {
  tap::plan(84);
  utest::scratch();
  utest::read_only();
  utest::self_pid();
  utest::grow_handle_table(256);
  keel::KstatSnapshot base;
  tap::baseline(base);

  tree_and_info(base);
  bad_input(base);
  quotas(base);
  killing(base);
  return tap::done();
}
