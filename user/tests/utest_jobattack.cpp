// Attacks on jobs and quotas (security testing): rights, quota values,
// a process killing its own job or holding its last handle, job handles in
// messages, job_list/job_open inputs, races between tasks. Run as init
// (handle 0 the process directory, 1 the root job). argv[1] picks a group:
// none runs every group that should leave the kernel standing; "race" runs
// the spawn/close race; "rootclose" closes the root job's handle.
#include <libk/string.h>

#include "common.h"

namespace {
using utest::expect;

int checks;
#define OK(...) (checks++, tap::ok(__VA_ARGS__))
#define EXPECT(...) (checks++, expect(__VA_ARGS__))
#define BASELINE(b, w) (checks++, tap::at_baseline(b, w))

using utest::make_job;
using utest::spawn_in;
using utest::spawn_or_diag;
constexpr keel_job_limits NONE = utest::NO_LIMITS;

keel_handle_t agent(keel_handle_t job, const char* mode, const char* arg = nullptr,
                    const keel_handle_t* hs = nullptr, size_t nh = 0) {
  const char* args[2] = {mode, arg};
  keel_handle_t p = KEEL_HANDLE_INVALID;
  int64_t r = keel::spawn("jobagent", args, arg ? 2 : 1, hs, nh, &p, job);
  if (r != KEEL_OK)
    tap::diag("spawn jobagent %s: %s", mode, keel_status_name(static_cast<int32_t>(r)));
  return p;
}

keel_handle_t dup(keel_handle_t h, uint32_t rights) {
  keel_handle_t d = KEEL_HANDLE_INVALID;
  int64_t r = keel::handle_duplicate(h, rights, &d);
  if (r != KEEL_OK) tap::diag("duplicate: %s", keel_status_name(static_cast<int32_t>(r)));
  return d;
}

bool exited_killed(keel_handle_t p) {
  keel_object_info info = utest::info_of(p);
  return info.state == KEEL_STATE_EXITED && info.exit_code == KEEL_EXIT_KILLED;
}
bool exited(keel_handle_t p) { return utest::info_of(p).state == KEEL_STATE_EXITED; }

// Wait (bounded) and reap; the exit code, or -1000 if it did not end.
int64_t finish(keel_handle_t p, uint64_t ms = keel::PATIENCE_MS) {
  int64_t code = 0;
  int64_t r = keel::process_wait(p, &code, ms);
  if (r != KEEL_OK) {
    tap::diag("process_wait: %s", keel_status_name(static_cast<int32_t>(r)));
    keel::process_kill(p);
    keel::process_wait(p, &code, keel::PATIENCE_MS);
    return -1000;
  }
  return code;
}

bool await_tasks(keel_handle_t job, uint64_t n) {
  for (uint64_t start = keel::clock_ms(); keel::clock_ms() - start < keel::PATIENCE_MS;) {
    if (utest::info_of(job).tasks == n) return true;
    keel::sleep_ms(5);
  }
  return false;
}

const char* st(int64_t r) { return keel_status_name(static_cast<int32_t>(r)); }

// 1. Rights: a weakened job handle never gets its rights back.
void rights(const keel::KstatSnapshot& base) {
  keel_handle_t j = make_job();
  keel_handle_t out = KEEL_HANDLE_INVALID;
  keel_handle_t insp = dup(j, KEEL_RIGHT_INSPECT);
  EXPECT(keel::handle_duplicate(insp, KEEL_RIGHTS_SAME, &out), ERR_ACCESS_DENIED,
         "INSPECT-only job handle: duplicate refused (no DUPLICATE)");
  keel_handle_t weak = dup(j, KEEL_RIGHT_INSPECT | KEEL_RIGHT_DUPLICATE);
  EXPECT(keel::handle_duplicate(weak, KEEL_JOB_RIGHTS, &out), ERR_ACCESS_DENIED,
         "duplicate asking for more rights than held: refused");
  EXPECT(keel::handle_duplicate(weak, KEEL_RIGHTS_ALL, &out), ERR_ACCESS_DENIED,
         "duplicate asking for KEEL_RIGHTS_ALL: refused");
  EXPECT(keel::handle_duplicate(weak, 0x40000000u, &out), ERR_INVALID_ARGS,
         "duplicate with an unknown rights bit: refused");
  EXPECT(keel::job_kill(weak), ERR_ACCESS_DENIED, "weak: job_kill refused");
  EXPECT(spawn_in(weak, "hello", nullptr, &out), ERR_ACCESS_DENIED, "weak: spawn refused");
  EXPECT(keel::job_create(weak, &NONE, &out), ERR_ACCESS_DENIED, "weak: job_create refused");
  uint64_t pids[4];
  size_t n;
  EXPECT(keel::job_list(weak, pids, 4, &n), ERR_ACCESS_DENIED, "weak: job_list refused");
  EXPECT(keel::job_open(weak, 1, &out), ERR_ACCESS_DENIED, "weak: job_open refused");
  // No TRANSFER: cannot leave the process.
  keel_handle_t c0, c1;
  keel::channel_create(&c0, &c1);
  EXPECT(keel::channel_write(c0, "x", 1, &weak, 1), ERR_ACCESS_DENIED,
         "weak (no TRANSFER): channel_write refused");
  EXPECT(spawn_in(KEEL_HANDLE_INVALID, "hello", nullptr, &out, &weak, 1), ERR_ACCESS_DENIED,
         "weak (no TRANSFER): spawn with it refused");
  keel_handle_t spawn_only = dup(j, KEEL_RIGHT_SPAWN);
  EXPECT(keel::object_info(spawn_only, utest::ptr<keel_object_info>(
                                           reinterpret_cast<uintptr_t>(utest::scratch()))),
         ERR_ACCESS_DENIED, "SPAWN-only: object_info refused");
  keel_handle_t p = spawn_or_diag(spawn_only, "sleeper", "100000");
  OK(p != KEEL_HANDLE_INVALID, "SPAWN-only: spawn into it works");
  // job_open's process handle: kill/wait/inspect only.
  keel_handle_t opened = KEEL_HANDLE_INVALID;
  EXPECT(keel::job_open(j, utest::info_of(p).koid, &opened), KEEL_OK, "job_open");
  EXPECT(keel::handle_duplicate(opened, KEEL_RIGHTS_SAME, &out), ERR_ACCESS_DENIED,
         "job_open's process handle cannot be duplicated");
  EXPECT(keel::channel_write(c0, "x", 1, &opened, 1), ERR_ACCESS_DENIED,
         "job_open's process handle cannot be sent");
  // Type confusion.
  EXPECT(keel::process_kill(j), ERR_WRONG_TYPE, "process_kill of a job handle");
  EXPECT(keel::job_kill(p), ERR_WRONG_TYPE, "job_kill of a process handle");
  EXPECT(keel::job_create(p, &NONE, &out), ERR_WRONG_TYPE, "job_create under a process handle");
  EXPECT(keel::job_list(utest::dir(), pids, 4, &n), ERR_WRONG_TYPE,
         "job_list of the process directory");
  int64_t code;
  EXPECT(keel::process_wait(j, &code, 0), ERR_WRONG_TYPE, "process_wait of a job handle");
  keel::handle_close(opened);
  keel::handle_close(spawn_only);
  keel::handle_close(weak);
  keel::handle_close(insp);
  keel::handle_close(c0);
  keel::handle_close(c1);
  keel::handle_close(j);  // last handle: kills the sleeper
  OK(exited_killed(p), "the sleeper died with its job's last handle");
  finish(p);
  BASELINE(base, "rights");
}

// 2. Quota values: 0, 1, huge, all-ones; nested limits; usage exact.
void quota_values(const keel::KstatSnapshot& base) {
  keel_handle_t out;
  keel_job_limits huge{UINT64_MAX, UINT64_MAX, UINT64_MAX};
  keel_handle_t j = make_job(KEEL_HANDLE_INVALID, huge);
  OK(j != KEEL_HANDLE_INVALID, "limits all UINT64_MAX: job made");
  keel_handle_t p = spawn_or_diag(j, "hello");
  OK(p != KEEL_HANDLE_INVALID && finish(p) == 0, "limits all UINT64_MAX: hello runs");
  keel::handle_close(j);

  keel_job_limits near{UINT64_MAX - 1, UINT64_MAX - 1, UINT64_MAX - 1};
  j = make_job(KEEL_HANDLE_INVALID, near);
  keel_handle_t sub = make_job(j, huge);
  p = spawn_or_diag(sub, "hello");
  OK(p != KEEL_HANDLE_INVALID && finish(p) == 0, "limits UINT64_MAX-1 with a huge child: works");
  keel::handle_close(sub);
  keel::handle_close(j);

  j = make_job(KEEL_HANDLE_INVALID, keel_job_limits{1, 0, 0});
  p = spawn_or_diag(j, "sleeper", "100000");
  EXPECT(spawn_in(j, "hello", nullptr, &out), ERR_NO_MEMORY, "max_processes 1: a 2nd refused");
  sub = make_job(j, keel_job_limits{100, 0, 0});
  EXPECT(spawn_in(sub, "hello", nullptr, &out), ERR_NO_MEMORY,
         "a child asking for 100 under a parent of 1: refused");
  utest::reap(p);
  keel::handle_close(sub);
  keel::handle_close(j);

  j = make_job(KEEL_HANDLE_INVALID, keel_job_limits{0, 0, 1});
  EXPECT(spawn_in(j, "hello", nullptr, &out), ERR_NO_MEMORY, "max_frames 1: spawn refused");
  OK(utest::info_of(j).pages == 0 && utest::info_of(j).tasks == 0,
     "max_frames 1: nothing charged after the refusal");
  keel::handle_close(j);

  j = make_job(KEEL_HANDLE_INVALID, keel_job_limits{0, 1, 0});
  p = spawn_or_diag(j, "hello");
  OK(p != KEEL_HANDLE_INVALID && finish(p) == 0, "max_handles 1: a handle-less hello runs");
  keel_handle_t hs[2] = {dup(utest::dir(), KEEL_RIGHT_INSPECT | KEEL_RIGHT_TRANSFER),
                         dup(utest::dir(), KEEL_RIGHT_INSPECT | KEEL_RIGHT_TRANSFER)};
  EXPECT(spawn_in(j, "hello", nullptr, &out, hs, 2), ERR_NO_MEMORY,
         "max_handles 1: spawn with 2 handles refused");
  OK(utest::info_of(hs[1]).type == KEEL_OBJ_PROCESS_DIRECTORY, "and the handles stayed ours");
  keel::handle_close(hs[0]);
  keel::handle_close(hs[1]);
  OK(utest::info_of(j).handles == 0 && utest::info_of(j).tasks == 0, "max_handles 1: usage 0");
  keel::handle_close(j);

  // Siblings share the parent's limit.
  j = make_job(KEEL_HANDLE_INVALID, keel_job_limits{5, 0, 0});
  keel_handle_t c1 = make_job(j, keel_job_limits{3, 0, 0});
  keel_handle_t c2 = make_job(j, keel_job_limits{0, 0, 0});
  keel_handle_t ps[8];
  size_t n1 = 0, n2 = 0;
  while (n1 < 4 && spawn_in(c1, "sleeper", "100000", &ps[n1]) == KEEL_OK) n1++;
  while (n2 < 4 && spawn_in(c2, "sleeper", "100000", &ps[n1 + n2]) == KEEL_OK) n2++;
  OK(n1 == 3 && n2 == 2 && utest::info_of(j).tasks == 5,
     "parent 5, child 3: 3 in the child, 2 in its sibling, 5 in all (got %zu, %zu)", n1, n2);
  EXPECT(keel::job_kill(c1), KEEL_OK, "kill one child job");
  OK(utest::info_of(j).tasks == 2 && utest::info_of(c2).tasks == 2,
     "its sibling's processes untouched");
  keel_handle_t again = spawn_or_diag(c2, "sleeper", "100000");
  OK(again != KEEL_HANDLE_INVALID, "the freed room goes to the sibling");
  keel::handle_close(again);
  keel::handle_close(c2);  // kills; waits
  OK(utest::info_of(j).tasks == 0, "every process gone after the sibling's last close");
  for (size_t i = 0; i < n1 + n2; i++) finish(ps[i]);
  keel::handle_close(c1);
  keel::handle_close(j);
  BASELINE(base, "quota values");
}

// 3. Quotas from inside: frames by vm_alloc, handles by duplicate and read.
void quotas_inside(const keel::KstatSnapshot& base) {
  keel_handle_t j = make_job(KEEL_HANDLE_INVALID, keel_job_limits{0, 0, 200});
  keel_handle_t jd = dup(j, KEEL_RIGHT_INSPECT | KEEL_RIGHT_TRANSFER);
  keel_handle_t a = agent(j, "vm", "200", &jd, 1);
  int64_t code = finish(a);
  OK(code == 0, "agent vm: frame quota hit by vm_alloc, refusals charge nothing (exit %ld)", code);
  OK(await_tasks(j, 0) && utest::info_of(j).pages == 0, "frames back to 0");
  keel::handle_close(j);

  j = make_job(KEEL_HANDLE_INVALID, keel_job_limits{0, 100, 0});
  jd = dup(j, KEEL_RIGHT_INSPECT | KEEL_RIGHT_DUPLICATE | KEEL_RIGHT_TRANSFER);
  a = agent(j, "dups", nullptr, &jd, 1);
  code = finish(a);
  OK(code == 0, "agent dups: handle quota full, refused calls change nothing (exit %ld)", code);
  OK(await_tasks(j, 0) && utest::info_of(j).handles == 0, "handles back to 0");
  keel::handle_close(j);

  j = make_job(KEEL_HANDLE_INVALID, keel_job_limits{0, 50, 0});
  jd = dup(j, KEEL_RIGHT_INSPECT | KEEL_RIGHT_DUPLICATE | KEEL_RIGHT_TRANSFER);
  keel_handle_t c0, c1;
  keel::channel_create(&c0, &c1);
  keel_handle_t carried[2] = {dup(utest::dir(), KEEL_RIGHT_INSPECT | KEEL_RIGHT_TRANSFER),
                              dup(utest::dir(), KEEL_RIGHT_INSPECT | KEEL_RIGHT_TRANSFER)};
  EXPECT(keel::channel_write(c0, "hh", 2, carried, 2), KEEL_OK, "queue a message with 2 handles");
  keel_handle_t hs[2] = {c1, jd};
  a = agent(j, "readfull", nullptr, hs, 2);
  code = finish(a);
  OK(code == 0, "agent readfull: a read into a full quota keeps the message whole (exit %ld)",
     code);
  keel::handle_close(c0);
  keel::handle_close(j);

  j = make_job(KEEL_HANDLE_INVALID, keel_job_limits{3, 0, 0});
  a = agent(j, "mkjob");
  code = finish(a);
  OK(code == 65, "agent mkjob: a bigger child quota does not help; depth stops at 8 (exit %ld)",
     code);
  OK(await_tasks(j, 0), "its job empty");
  keel::handle_close(j);
  BASELINE(base, "quotas from inside");
}

// 4. A process against its own job (or an ancestor).
void own_job(const keel::KstatSnapshot& base) {
  // job_kill of its own job.
  keel_handle_t j = make_job();
  keel_handle_t spinner = spawn_or_diag(j, "spin");
  keel_handle_t jd = dup(j, KEEL_RIGHTS_SAME);
  keel_handle_t a = agent(j, "killself", nullptr, &jd, 1);
  int64_t code = finish(a);
  OK(code == KEEL_EXIT_KILLED, "agent job_kill of its own job: killed (exit %ld)", code);
  OK(utest::await_exit(spinner) && exited_killed(spinner), "and the rest of the job with it");
  OK(await_tasks(j, 0), "the job is empty");
  finish(spinner);
  keel::handle_close(j);
  BASELINE(base, "job_kill of one's own job");

  // Its own job's last handle, closed by itself / a second task / its exit.
  const char* modes[] = {"closelast", "closelast2", "holdexit"};
  for (const char* m : modes) {
    j = make_job();
    spinner = spawn_or_diag(j, "spin");
    keel_handle_t sub = make_job(j);
    keel_handle_t subspin = spawn_or_diag(sub, "spin");
    keel::handle_close(sub);  // kills sub (and subspin) now
    OK(exited_killed(subspin), "%s: closing a child job's last handle killed it at once", m);
    sub = make_job(j);
    keel_handle_t subspin2 = spawn_or_diag(sub, "spin");
    keel_handle_t subd = dup(sub, KEEL_RIGHTS_SAME);
    keel::handle_close(sub);
    (void)subd;                     // keeps sub: j's kill takes it
    a = agent(j, m, "100", &j, 1);  // moves our only handle to j
    code = finish(a);
    OK(code == KEEL_EXIT_KILLED || (libk::str_eq(m, "holdexit") && code == 0),
       "%s: the agent closing its job's last handle ends (exit %ld)", m, code);
    OK(utest::await_exit(spinner) && exited_killed(spinner) && utest::await_exit(subspin2),
       "%s: the job and its child job killed", m);
    finish(spinner);
    finish(subspin);
    finish(subspin2);
    keel::handle_close(subd);
    BASELINE(base, m);
  }

  // The last handle of an ancestor job.
  keel_handle_t k = make_job();
  j = make_job(k);
  spinner = spawn_or_diag(k, "spin");
  a = agent(j, "holdexit", "50", &k, 1);
  code = finish(a);
  OK(code == 0, "agent exits holding its parent job's last handle (exit %ld)", code);
  OK(utest::await_exit(spinner) && exited_killed(spinner), "the parent job is killed");
  finish(spinner);
  keel::handle_close(j);
  BASELINE(base, "ancestor's last handle");

  // Two jobs, each holding the other's last handle (a1 in j1 has j2's in an
  // unread message on its channel; a2 in j2 has j1's); one exits / is killed.
  for (int killed = 0; killed < 2; killed++) {
    keel_handle_t j1 = make_job(), j2 = make_job();
    keel_handle_t c0, c1;
    keel::channel_create(&c0, &c1);
    keel_handle_t a1 = agent(j1, killed ? "hold" : "holdexit", "100", &c1, 1);
    keel_handle_t a2 = agent(j2, "hold", nullptr, &j1, 1);
    EXPECT(keel::channel_write(c0, "j", 1, &j2, 1), KEEL_OK, "j2's last handle to a1");
    keel::handle_close(c0);
    keel::sleep_ms(20);
    OK(!exited(a2), "cycle: a2 alive while a1 holds its job's last handle");
    if (killed) keel::process_kill(a1);
    code = finish(a1);
    int64_t code2 = finish(a2);
    OK(code == (killed ? KEEL_EXIT_KILLED : 0) && code2 == KEEL_EXIT_KILLED,
       "a cycle of jobs, one member %s: both end (%ld, %ld)", killed ? "killed" : "exits", code,
       code2);
    BASELINE(base, killed ? "cycle of two jobs, one killed" : "cycle of two jobs, one exits");
  }

  // job_kill of another job from inside a job being killed.
  keel_handle_t j1 = make_job(), j2 = make_job();
  keel_handle_t victims[4];
  for (auto& v : victims) v = spawn_or_diag(j2, "holder", "2000");
  keel_handle_t j2d = dup(j2, KEEL_RIGHTS_SAME);
  a = agent(j1, "killother", nullptr, &j2d, 1);
  EXPECT(keel::job_kill(j1), KEEL_OK, "kill the killer's job meanwhile");
  code = finish(a);
  OK(code == KEEL_EXIT_KILLED || code == 10, "the killer ends (exit %ld)", code);
  EXPECT(keel::job_kill(j2), KEEL_OK, "job_kill of the victims' job");
  bool all = true;
  for (auto v : victims) all &= exited(v);
  OK(all && utest::info_of(j2).tasks == 0 && utest::info_of(j2).handles == 0,
     "victims torn down when job_kill returns");
  for (auto v : victims) finish(v);
  keel::handle_close(j1);
  keel::handle_close(j2);
  BASELINE(base, "job_kill from a job being killed");
}

// 5. Job handles in messages.
void in_messages(const keel::KstatSnapshot& base) {
  // Writer end closed first: the message stays in the reader's queue.
  keel_handle_t j = make_job();
  keel_handle_t spinner = spawn_or_diag(j, "spin");
  keel_handle_t c0, c1;
  keel::channel_create(&c0, &c1);
  keel::channel_write(c0, "j", 1, &j, 1);
  keel::handle_close(c0);
  keel::sleep_ms(30);
  OK(utest::info_of(spinner).state == KEEL_STATE_RUNNING, "queued after the writer closed: alive");
  keel::handle_close(c1);
  OK(utest::await_exit(spinner) && exited_killed(spinner), "reader closed: the job dies");
  finish(spinner);
  BASELINE(base, "job handle in a queued message");

  // Nested: the job's handle in a message on X, X's endpoint in a message on Y.
  j = make_job();
  spinner = spawn_or_diag(j, "spin");
  keel_handle_t x0, x1, y0, y1;
  keel::channel_create(&x0, &x1);
  keel::channel_create(&y0, &y1);
  EXPECT(keel::channel_write(y0, "x", 1, &x1, 1), KEEL_OK, "x1 into a message on y");
  EXPECT(keel::channel_write(x0, "j", 1, &j, 1), KEEL_OK, "the job into a message to x1");
  keel::handle_close(x0);
  keel::sleep_ms(20);
  OK(utest::info_of(spinner).state == KEEL_STATE_RUNNING, "nested in two messages: alive");
  keel::handle_close(y1);
  keel::handle_close(y0);
  OK(utest::await_exit(spinner) && exited_killed(spinner), "the chain freed: the job dies");
  finish(spinner);
  BASELINE(base, "job handle nested in messages");

  // The job's last handle queued to a member of the job, unread.
  j = make_job();
  spinner = spawn_or_diag(j, "spin");
  keel::channel_create(&c0, &c1);
  keel_handle_t a = agent(j, "hold", nullptr, &c1, 1);
  keel::channel_write(c0, "j", 1, &j, 1);
  keel::handle_close(c0);
  keel::sleep_ms(30);
  OK(utest::info_of(spinner).state == KEEL_STATE_RUNNING, "held unread by its own member: alive");
  keel::process_kill(a);
  int64_t code = finish(a);
  OK(code == KEEL_EXIT_KILLED, "the member killed");
  OK(utest::await_exit(spinner) && exited_killed(spinner),
     "its teardown freed the message: the job dies");
  finish(spinner);
  BASELINE(base, "job handle queued to its own member");
}

// 6. job_list / job_open inputs.
void list_open(const keel::KstatSnapshot& base) {
  keel_handle_t j = make_job();
  keel_handle_t sib = make_job();
  keel_handle_t p = spawn_or_diag(j, "sleeper", "100000");
  keel_handle_t q = spawn_or_diag(j, "exitcode", "3");
  keel_handle_t other = spawn_or_diag(sib, "sleeper", "100000");
  utest::await_exit(q);
  uint64_t pids[4096];
  size_t n = 12345;
  int64_t r = keel::job_list(j, nullptr, 0, &n);
  OK((r == ERR_BUFFER_TOO_SMALL && n == 1) || r == ERR_INVALID_ARGS,
     "job_list cap 0, no buffer: %s, actual %zu", st(r), n);
  r = keel::job_list(j, pids, 0, &n);
  OK(r == ERR_BUFFER_TOO_SMALL && n == 1, "job_list cap 0: %s, actual %zu (1 live)", st(r), n);
  EXPECT(keel::job_list(j, pids, 4, &n, UINT64_MAX), KEEL_OK, "job_list after UINT64_MAX");
  OK(n == 0, "nothing after UINT64_MAX (%zu)", n);
  EXPECT(keel::job_list(j, pids, 4096, &n), KEEL_OK, "job_list cap 4096");
  OK(n == 1 && pids[0] == utest::info_of(p).koid, "only the live member listed (%zu)", n);
  EXPECT(keel::job_list(j, utest::ptr<uint64_t>(reinterpret_cast<uintptr_t>(utest::read_only())), 4,
                        &n),
         ERR_INVALID_ARGS, "job_list into a read-only page");
  EXPECT(keel::job_list(j, pids, 4,
                        utest::ptr<size_t>(reinterpret_cast<uintptr_t>(utest::read_only()))),
         ERR_INVALID_ARGS, "job_list actual in a read-only page");
  EXPECT(keel::job_list(j, pids, 4, reinterpret_cast<size_t*>(&pids[0])), KEEL_OK,
         "job_list with actual aliasing the buffer");
  EXPECT(keel::job_list(j, pids, SIZE_MAX, &n), ERR_INVALID_ARGS, "job_list cap SIZE_MAX");
  // A buffer running off the end of the scratch page into unmapped memory.
  uint64_t* edge = utest::ptr<uint64_t>(reinterpret_cast<uintptr_t>(utest::scratch()) + 4096 - 8);
  r = keel::job_list(j, edge, 4, &n);
  OK(r == KEEL_OK || r == ERR_INVALID_ARGS, "job_list buffer crossing the page end: %s", st(r));

  keel_handle_t out;
  uint64_t bad[] = {
      0, 1, UINT64_MAX, utest::self_pid(), utest::info_of(other).koid, utest::info_of(q).koid};
  const char* what[] = {"0", "1", "UINT64_MAX", "our own", "a sibling job's", "an exited member"};
  for (size_t i = 0; i < 6; i++)
    EXPECT(keel::job_open(j, bad[i], &out), ERR_NOT_FOUND, "job_open of pid %s", what[i]);
  EXPECT(keel::job_open(keel::startup_handle(1), utest::self_pid(), &out), KEEL_OK,
         "job_open of ourselves through the root job");
  keel::handle_close(out);
  EXPECT(keel::job_open(j, utest::info_of(p).koid,
                        utest::ptr<keel_handle_t>(reinterpret_cast<uintptr_t>(utest::read_only()))),
         ERR_INVALID_ARGS, "job_open out in a read-only page");
  EXPECT(keel::job_kill(j), KEEL_OK, "kill");
  EXPECT(keel::job_list(j, pids, 4, &n), KEEL_OK, "job_list of a killed job");
  OK(n == 0, "empty (%zu)", n);
  EXPECT(keel::job_open(j, utest::info_of(p).koid, &out), ERR_NOT_FOUND,
         "job_open of a killed member");
  finish(p);
  finish(q);
  keel::handle_close(j);
  keel::handle_close(sib);
  finish(other);
  BASELINE(base, "job_list/job_open inputs");
}

// 7. Races between tasks of this process.
struct SpawnLoop {
  keel_handle_t job;
  keel_handle_t ps[512];
  size_t n;
  int64_t last;
  volatile bool stop;
};
int64_t spawn_loop(void* arg) {
  auto* s = static_cast<SpawnLoop*>(arg);
  while (!s->stop && s->n < 512) {
    int64_t r = spawn_in(s->job, "spin", nullptr, &s->ps[s->n]);
    s->last = r;
    if (r == KEEL_OK)
      s->n++;
    else if (r == ERR_BAD_STATE)
      break;
  }
  return 0;
}

volatile bool info_stop;
volatile keel_handle_t info_target;
volatile bool info_running;
int64_t info_loop(void*) {
  keel_object_info info;
  while (!info_stop) {
    keel::object_info(info_target, &info);
    info_running = true;
    keel::yield();  // on one hart the closer runs now, not a time slice later
  }
  return 0;
}

void races(const keel::KstatSnapshot& base) {
  // Kill while another task spawns into the job.
  int bad = 0, bad_state = 0;
  size_t spawned = 0;
  for (int round = 0; round < 20; round++) {
    SpawnLoop s{};
    s.job = make_job();
    keel::Thread t;
    keel::thread_start(t, spawn_loop, &s);
    while (s.n < static_cast<size_t>(round % 5)) keel::yield();
    int64_t r = keel::job_kill(s.job);
    size_t n_at_kill = s.n;
    spawned += n_at_kill;
    bool empty = utest::info_of(s.job).tasks == 0;
    for (size_t i = 0; i < n_at_kill; i++) empty &= exited(s.ps[i]);
    if (r != KEEL_OK || !empty) bad++;
    int64_t code;
    keel::thread_join(t, &code);
    if (s.last == ERR_BAD_STATE) bad_state++;
    for (size_t i = 0; i < s.n; i++) {
      if (!exited_killed(s.ps[i])) bad++;
      finish(s.ps[i]);
    }
    keel::handle_close(s.job);
  }
  OK(bad == 0,
     "20 job_kills while another task spawns into the job: all torn down (%d bad, %d "
     "loops ended by BAD_STATE, %zu spawned before the kills)",
     bad, bad_state, spawned);
  BASELINE(base, "kill while spawning");

  // Last close while another task holds the job handle in object_info.
  // Control: the other task inspects the process directory instead.
  for (int control = 1; control >= 0; control--) {
    int late = 0;
    const int ROUNDS = 300;
    for (int round = 0; round < ROUNDS; round++) {
      keel_handle_t j = make_job();
      keel_handle_t sp = spawn_or_diag(j, "sleeper", "100000");
      info_target = control ? utest::dir() : j;
      info_stop = false;
      info_running = false;
      keel::Thread t;
      keel::thread_start(t, info_loop, nullptr);
      while (!info_running) keel::yield();
      for (volatile int i = 0; i < (round % 50) * 3; i = i + 1) {
      }
      keel::handle_close(j);
      if (!exited_killed(sp)) late++;
      info_stop = true;
      int64_t code;
      keel::thread_join(t, &code);
      utest::await_exit(sp);
      finish(sp);
    }
    OK(late == 0,
       "%s: the job gone when close returns (%d of %d "
       "closes returned with the job still alive)",
       control ? "control: last handle closed while another task inspects the directory"
               : "last handle closed while another task runs object_info on it",
       late, ROUNDS);
  }
  BASELINE(base, "close vs a concurrent lookup");

  // job_kill / last close returns: is everything already gone? Spinners whose
  // handles we closed (only the process table holds them), then the kill and
  // at once the counters and the processes' state.
  {
    int64_t live0 = utest::counter("processes_live");
    int counters_off = 0, still_running = 0;
    const int R = 1000;
    for (int round = 0; round < R; round++) {
      keel_handle_t j = make_job();
      keel_handle_t keep = spawn_or_diag(j, "spin");
      keel::handle_close(spawn_or_diag(j, "spin"));
      if (round % 2)
        keel::job_kill(j);
      else
        keel::handle_close(j);
      int64_t live = utest::counter("processes_live");
      if (!exited(keep)) still_running++;
      if (live != live0 + 1) counters_off++;  // `keep` stays until reaped
      finish(keep);
      if (round % 2) keel::handle_close(j);
    }
    OK(still_running == 0,
       "job_kill/last close returned: the process we hold already EXITED (%d of %d were not)",
       still_running, R);
    OK(counters_off == 0,
       "job_kill/last close returned: processes_live already back (%d of %d were not)",
       counters_off, R);
  }
  BASELINE(base, "kill returns after teardown");

  // Two tasks kill the same job at once.
  bad = 0;
  for (int round = 0; round < 10; round++) {
    keel_handle_t j = make_job();
    keel_handle_t hs[8];
    for (auto& h : hs) h = spawn_or_diag(j, "holder", "500");
    static keel_handle_t kill_target;
    kill_target = j;
    keel::Thread t;
    keel::thread_start(
        t, [](void*) -> int64_t { return keel::job_kill(kill_target); }, nullptr);
    int64_t r = keel::job_kill(j);
    bool empty = utest::info_of(j).tasks == 0;
    int64_t code = -1;
    keel::thread_join(t, &code);
    if (r != KEEL_OK || code != KEEL_OK || !empty) bad++;
    for (auto h : hs) finish(h);
    keel::handle_close(j);
  }
  OK(bad == 0, "two tasks job_kill one job at once: both return with it empty (%d bad)", bad);
  BASELINE(base, "concurrent kills");
}

// Spawn with a handle that another task closes meanwhile (decode has checked
// it; the load is slow): spawn must fail cleanly or succeed.
volatile keel_handle_t race_handle;
volatile uint64_t race_delay;
volatile bool race_stop;
int64_t closer_loop(void*) {
  while (!race_stop) {
    keel_handle_t h = race_handle;
    if (!h) {
      keel::yield();  // on one hart the spawner runs only if we let it
      continue;
    }
    for (volatile uint64_t i = 0; i < race_delay; i = i + 1) {
    }
    keel::handle_close(h);
    race_handle = 0;
  }
  return 0;
}
void spawn_close_race(const keel::KstatSnapshot& base) {
  keel_handle_t j = make_job();
  race_delay = 0;
  keel::Thread t;
  keel::thread_start(t, closer_loop, nullptr);
  int early = 0, ok = 0, other = 0;
  for (int i = 0; i < 3000; i++) {
    keel_handle_t d = dup(utest::dir(), KEEL_RIGHT_INSPECT | KEEL_RIGHT_TRANSFER);
    race_handle = d;
    keel_handle_t p = KEEL_HANDLE_INVALID;
    int64_t r = spawn_in(j, "hello", nullptr, &p, &d, 1);
    while (race_handle) keel::yield();
    if (r == KEEL_OK) {
      ok++;
      finish(p);
      if (race_delay > 0) race_delay = race_delay * 7 / 8;
    } else if (r == ERR_BAD_HANDLE) {
      early++;
      race_delay = race_delay + 1 + race_delay / 8;
    } else {
      other++;
      tap::diag("spawn: %s (delay %lu)", st(r), race_delay);
    }
  }
  race_stop = true;
  int64_t code;
  keel::thread_join(t, &code);
  OK(true, "spawn vs close of its handle: %d ok, %d refused early, %d other (delay %lu)", ok, early,
     other, race_delay);
  keel::handle_close(j);
  BASELINE(base, "spawn vs close");
}
// 8. Out of memory at every allocation of job_create + spawn into it +
// last close; a frame limit at every value until a spawn fits; a job bomb
// (nested jobs spawning and closing each other) killed at random moments.
int64_t inject(uint64_t nth) {
  uint64_t injected = 0;
  keel::fault_inject(utest::dir(), nth, 0, &injected);
  return static_cast<int64_t>(injected);
}
void exhaustion(const keel::KstatSnapshot& base) {
  keel_handle_t outer = make_job(KEEL_HANDLE_INVALID, keel_job_limits{10, 100, 1000});
  {  // once unarmed: caches warm
    keel_handle_t c = make_job(outer), p = spawn_or_diag(c, "sleeper", "100000");
    keel::handle_close(c);
    finish(p);
  }
  keel::KstatSnapshot local;
  tap::baseline(local);
  uint64_t points = 0, bad = 0;
  for (uint64_t nth = 1; nth < 500; nth++) {
    inject(nth);
    keel_handle_t c = KEEL_HANDLE_INVALID, p = KEEL_HANDLE_INVALID;
    int64_t r1 = keel::job_create(outer, &NONE, &c);
    int64_t r2 = r1 == KEEL_OK ? spawn_in(c, "sleeper", "100000", &p) : ERR_NO_MEMORY;
    int64_t r3 = r1 == KEEL_OK ? keel::handle_close(c) : KEEL_OK;
    bool injected = inject(0) != 0;
    if ((r1 != KEEL_OK && r1 != ERR_NO_MEMORY) || (r2 != KEEL_OK && r2 != ERR_NO_MEMORY) ||
        r3 != KEEL_OK) {
      tap::diag("allocation %lu failing: create %s, spawn %s, close %s", nth, st(r1), st(r2),
                st(r3));
      bad++;
    }
    if (p != KEEL_HANDLE_INVALID) {
      if (!exited_killed(p)) {
        tap::diag("allocation %lu: the process outlived its job's close", nth);
        bad++;
      }
      finish(p);
    }
    keel_object_info oi = utest::info_of(outer);
    if (oi.tasks || oi.pages || oi.handles) {
      tap::diag("allocation %lu: outer usage %lu/%lu/%lu", nth, oi.tasks, oi.handles, oi.pages);
      bad++;
    }
    if (tap::drift(local, "fault sweep") != 0) bad++;
    points = nth;
    if (!injected) break;
  }
  OK(bad == 0, "job_create + spawn + last close failing at each of %lu allocations: %lu bad",
     points, bad);
  keel::handle_close(outer);

  uint64_t fits = 0;
  bad = 0;
  for (uint64_t frames = 1; frames < 400 && !fits; frames++) {
    keel_handle_t j = make_job(KEEL_HANDLE_INVALID, keel_job_limits{0, 0, frames});
    keel_handle_t p = KEEL_HANDLE_INVALID;
    int64_t r = spawn_in(j, "sleeper", "100000", &p);
    if (r == KEEL_OK) {
      fits = frames;
      utest::reap(p);
    } else if (r != ERR_NO_MEMORY || utest::info_of(j).pages != 0 || utest::info_of(j).tasks) {
      tap::diag("frames %lu: %s, pages %lu", frames, st(r), utest::info_of(j).pages);
      bad++;
    }
    keel::handle_close(j);
  }
  OK(fits && bad == 0, "frame limit 1..%lu: every refused spawn charged nothing (%lu bad)", fits,
     bad);
  BASELINE(base, "exhaustion");

  bad = 0;
  uint64_t seen = 0;
  for (int round = 0; round < 12; round++) {
    keel_handle_t j = make_job(KEEL_HANDLE_INVALID, keel_job_limits{60, 4000, 8000});
    keel_handle_t b = agent(j, "jobbomb");
    keel::sleep_ms(20 + 37 * round % 300);
    keel_object_info before = utest::info_of(j);
    seen += before.tasks;
    int64_t r = round % 2 ? keel::job_kill(j) : keel::handle_close(j);
    bool gone = exited_killed(b);
    if (r != KEEL_OK || !gone) {
      tap::diag("round %d: %s, bomb %s (had %lu processes)", round, st(r), gone ? "gone" : "alive",
                before.tasks);
      bad++;
    }
    if (round % 2) {
      keel_object_info after = utest::info_of(j);
      if (after.tasks || after.handles || after.pages) bad++;
      keel::handle_close(j);
    }
    finish(b);
    if (tap::drift(base, "job bomb") != 0) bad++;
  }
  OK(bad == 0,
     "nested job bomb killed (job_kill or last close) at 12 moments: %lu bad (%lu processes live "
     "at the kills)",
     bad, seen);
  BASELINE(base, "job bomb");
}
// The out pointer's page unmapped by another task while spawn / job_create
// run: the ABI says a bad out pointer is ERR_INVALID_ARGS "and nothing else
// happens". Count errors that came back with a process started or a job made.
volatile uintptr_t unmap_page;
volatile uint64_t unmap_delay;
volatile bool unmap_stop;
int64_t unmapper(void*) {
  while (!unmap_stop) {
    uintptr_t a = unmap_page;
    if (!a) {
      keel::yield();  // on one hart the caller runs only if we let it
      continue;
    }
    for (volatile uint64_t i = 0; i < unmap_delay; i = i + 1) {
    }
    keel::vm_free(a, 4096);
    unmap_page = 0;
  }
  return 0;
}
// No baseline check here: a call that succeeded left its handle in this
// table with a value that went to the unmapped page (lost to us, freed at
// exit); the kernel's check when init exits covers what is left.
void out_race(const keel::KstatSnapshot&) {
  keel::Thread t;
  unmap_stop = false;
  keel::thread_start(t, unmapper, nullptr);
  for (int kind = 0; kind < 2; kind++) {
    unmap_delay = 0;
    int early = 0, fine = 0, lying = 0;
    keel_handle_t j = make_job();
    for (int i = 0; i < 1500; i++) {
      uintptr_t a = 0;
      keel::vm_alloc(4096, KEEL_VM_READ | KEEL_VM_WRITE, &a);
      uint64_t handles_before = utest::info_of(keel::startup_handle(1)).handles;
      unmap_page = a;
      int64_t r;
      keel_handle_t* out = utest::ptr<keel_handle_t>(a);
      if (kind == 0)
        r = spawn_in(j, "sleeper", "100000", out);
      else
        r = keel::job_create(j, &NONE, out);
      while (unmap_page) keel::yield();
      if (r == KEEL_OK) {
        fine++;
        // the out page is gone: find the new handle through the job's usage
        if (unmap_delay > 0) unmap_delay = unmap_delay * 7 / 8;
      } else if (utest::info_of(keel::startup_handle(1)).handles == handles_before) {
        early++;
        unmap_delay = unmap_delay + 1 + unmap_delay / 8;
      } else {
        if (lying < 3)
          tap::diag("%s: %s, root job handles %lu -> %lu, job processes %lu",
                    kind ? "job_create" : "spawn", st(r), handles_before,
                    utest::info_of(keel::startup_handle(1)).handles, utest::info_of(j).tasks);
        lying++;
      }
      if (kind == 0 && utest::info_of(j).tasks) {  // started: kill it (handles stay ours)
        keel::job_kill(j);
        keel::handle_close(j);
        j = make_job();
      }
    }
    keel::handle_close(j);
    OK(lying == 0,
       "%s with its out page unmapped meanwhile: %d errors left a new handle behind (%d ok, %d "
       "refused cleanly, delay %lu)",
       kind == 0 ? "spawn" : "job_create", lying, fine, early, unmap_delay);
  }
  unmap_stop = true;
  int64_t code;
  keel::thread_join(t, &code);
}
// Kernel memory from a job with tiny quotas: messages are charged to no
// quota. Does a job limited to 16 handles and 200 frames starve the rest?
void msg_bomb(const keel::KstatSnapshot& base) {
  keel_handle_t j = make_job(KEEL_HANDLE_INVALID, keel_job_limits{1, 16, 200});
  keel_handle_t c0, c1;
  keel::channel_create(&c0, &c1);
  int64_t free0 = utest::counter("frames_free");
  keel_handle_t a = agent(j, "msgbomb", nullptr, &c1, 1);
  char buf[32] = {};
  size_t n = 0;
  int64_t r = keel::read_message(c0, buf, sizeof(buf) - 1, &n, nullptr, 0, nullptr, 120000);
  keel_object_info ji = utest::info_of(j);
  int64_t free1 = utest::counter("frames_free");
  tap::diag(
      "msgbomb: %s, agent queued %s KiB; its job uses %lu handles, %lu frames; "
      "frames_free %ld -> %ld",
      st(r), buf, ji.handles, ji.pages, free0, free1);
  // What waits in messages is charged to the sender's job: the 200-frame
  // quota allows as many frames' worth of them (800 KiB, their bookkeeping
  // included), and the handles stashed in them count among its 16.
  uint64_t kib = 0;
  bool parsed = libk::parse_u64(buf, &kib) != nullptr;
  OK(r == KEEL_OK && parsed && kib > 0 && kib <= 800 && ji.handles <= 16,
     "the job's queued messages fit its quota: %lu KiB (at most 800), %lu handles (at most 16)",
     kib, ji.handles);
  keel_handle_t p = KEEL_HANDLE_INVALID;
  int64_t rs = spawn_in(KEEL_HANDLE_INVALID, "hello", nullptr, &p);
  keel_handle_t x0 = 0, x1 = 0;
  int64_t rc = keel::channel_create(&x0, &x1);
  OK(rs == KEEL_OK && rc == KEEL_OK,
     "outside the job, after a 16-handle/200-frame job queued messages: spawn %s, "
     "channel_create %s",
     st(rs), st(rc));
  if (rs == KEEL_OK) finish(p);
  if (rc == KEEL_OK) {
    keel::handle_close(x0);
    keel::handle_close(x1);
  }
  EXPECT(keel::job_kill(j), KEEL_OK, "kill the message bomb's job");
  finish(a);
  keel::handle_close(j);
  keel::handle_close(c0);
  BASELINE(base, "message bomb");

  // Messages carrying handles cost their sender's job more: the endpoints
  // they keep alive count against its quota too (not its handle limit: they
  // are in no table). Two equal jobs stash 1-byte messages until refused,
  // one with a channel endpoint in each: it is refused sooner, for memory.
  uint64_t counts[2] = {};
  char why[2][32] = {};
  for (int k = 0; k < 2; k++) {
    j = make_job(KEEL_HANDLE_INVALID, keel_job_limits{1, 16, 100});
    keel::channel_create(&c0, &c1);
    a = agent(j, "stash", k ? "handles" : "plain", &c1, 1);
    n = 0;
    buf[0] = 0;
    r = keel::read_message(c0, buf, sizeof(buf) - 1, &n, nullptr, 0, nullptr, 120000);
    buf[r == KEEL_OK ? n : 0] = 0;
    if (!libk::parse_u64(buf, &counts[k])) counts[k] = 0;
    n = 0;
    r = keel::read_message(c0, why[k], sizeof(why[k]) - 1, &n, nullptr, 0, nullptr, 120000);
    why[k][r == KEEL_OK ? n : 0] = 0;
    EXPECT(keel::job_kill(j), KEEL_OK,
           k ? "kill the job stashing handles" : "kill the stashing job");
    finish(a);
    keel::handle_close(j);
    keel::handle_close(c0);
  }
  OK(libk::str_eq(why[0], "ERR_NO_MEMORY") && libk::str_eq(why[1], "ERR_NO_MEMORY") &&
         counts[0] > 0 && counts[1] > 0 && counts[1] < counts[0],
     "a 100-frame job stashing 1-byte messages: %lu plain (%s), %lu with a handle each (%s)",
     counts[0], why[0], counts[1], why[1]);
  BASELINE(base, "stash");

  // At its handle limit, a job still reads back a handle it sent itself.
  j = make_job(KEEL_HANDLE_INVALID, keel_job_limits{1, 16, 0});
  keel::channel_create(&c0, &c1);
  a = agent(j, "selfsend", nullptr, &c1, 1);
  n = 0;
  r = keel::read_message(c0, why[0], sizeof(why[0]) - 1, &n, nullptr, 0, nullptr, 120000);
  why[0][r == KEEL_OK ? n : 0] = 0;
  OK(libk::str_eq(why[0], "KEEL_OK"),
     "a job at its handle limit reads back a handle it sent itself: %s", why[0]);
  EXPECT(keel::job_kill(j), KEEL_OK, "kill the self-sending job");
  finish(a);
  keel::handle_close(j);
  keel::handle_close(c0);
  BASELINE(base, "self-send at the limit");
}
}  // namespace

int main(int argc, char** argv) {
  utest::scratch();
  utest::read_only();
  utest::self_pid();
  utest::grow_handle_table(512);
  keel::KstatSnapshot base;
  tap::baseline(base);
  const char* mode = argc > 1 ? argv[1] : "all";
  if (libk::str_eq(mode, "race")) {
    spawn_close_race(base);
  } else if (libk::str_eq(mode, "msgbomb")) {
    msg_bomb(base);
  } else if (libk::str_eq(mode, "outrace")) {
    out_race(base);
  } else if (libk::str_eq(mode, "rootclose")) {
    keel_handle_t sp = spawn_or_diag(KEEL_HANDLE_INVALID, "spin");
    int64_t r = keel::handle_close(keel::startup_handle(1));
    OK(false, "closed the root job's handle and lived: %s, spinner %s", st(r),
       exited(sp) ? "exited" : "running");
  } else {
    // The groups that should leave the kernel standing, in order; "all" runs each.
    struct Group {
      const char* name;
      void (*run)(const keel::KstatSnapshot&);
    };
    const Group groups[] = {
        {"rights", rights},   {"quota", quota_values}, {"inside", quotas_inside}, {"own", own_job},
        {"msg", in_messages}, {"list", list_open},     {"exhaust", exhaustion},   {"races", races}};
    for (const Group& g : groups) {
      if (!libk::str_eq(mode, "all") && !libk::str_eq(mode, g.name)) continue;
      uint64_t t0 = keel::clock_ms();
      g.run(base);
      tap::diag("%s: %lu ms", g.name, keel::clock_ms() - t0);
    }
  }
  keel::printf("1..%d\n", checks);
  return tap::done();
}
