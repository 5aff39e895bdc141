// jobagent MODE: a process that attacks its own job from inside, for
// utest-jobattack. Exit codes: 0 the attack behaved as expected, anything
// else names the step that did not (a killed agent exits KEEL_EXIT_KILLED).
//   killself    handle 0: its own job (KILL). job_kill of it: must not return.
//   closelast   handle 0: the last handle to its own job. Close it: must not return.
//   closelast2  the same, closed by a second task while the first spins.
//   holdexit MS handles: anything. Sleeps MS, then exits 0 (its teardown closes them).
//   hold        handles: anything. Sleeps for ever.
//   killother   handle 0: another job (KILL). job_kill of it; exits 10 + its status.
//   vm N        handle 0: its own job (INSPECT), limited to N frames. Fills the
//               quota with vm_alloc and checks that a refused alloc charges nothing.
//   dups        handle 0: its own job (INSPECT|DUPLICATE), a handle limit.
//               Duplicates until refused; checks channel_create/job_create under
//               a full quota change nothing; frees and does it again.
//   readfull    handle 0: a channel with a queued message carrying 2 handles,
//               handle 1: its own job (INSPECT|DUPLICATE), a handle limit. Fills
//               the quota, then reads: the message must stay, nothing lost.
//   jobbomb     loops: a child job under its own, "jobagent jobbomb" spawned into
//               it, a short sleep, the child job's last handle closed (killing
//               it); past the depth limit it spawns "hello" instead. Until killed.
//   msgbomb     handle 0: a channel to the parent. Stays within a tiny handle and
//               frame quota while queueing messages without end: each new
//               endpoint goes into a stash message, its peer fills it with 4 KiB
//               messages and is closed. Writes "full" on handle 0 at the first
//               ERR_NO_MEMORY (with the count of KiB queued), then blocks.
//   stash KIND  handle 0: a channel to the parent. Queues 1-byte messages to
//               itself (a new stash channel whenever one is full) until refused;
//               KIND "handles": each carries one end of a new channel (the other
//               closed). Writes the count stashed, then the refusal's status
//               name, on handle 0 (two messages), then blocks.
//   selfsend    handle 0: a channel to the parent. Fills its job's handle limit with
//               duplicates, sends the last one to itself and reads it back; writes
//               the read's status name on handle 0, then blocks.
//   mkjob       makes child jobs under its own (no handle): a bigger quota than
//               its own, and as deep as it goes; spawns into the deepest.
#include <libk/string.h>

#include "keel.h"

namespace {
keel_handle_t h(size_t i) { return keel::startup_handle(i); }

uint64_t num(const char* s) {
  uint64_t n = 0;
  for (; s && *s >= '0' && *s <= '9'; s++) n = n * 10 + (*s - '0');
  return n;
}

keel_object_info info(keel_handle_t x) {
  keel_object_info i{};
  keel::object_info(x, &i);
  return i;
}

int64_t closer(void*) {
  keel::sleep_ms(20);
  keel::handle_close(h(0));
  return 77;  // never: the close killed this process
}

int vm(uint64_t limit) {
  keel_handle_t job = h(0);
  uint64_t start = info(job).pages;
  if (start > limit) return 1;
  uint64_t left = limit - start;
  uintptr_t a = 0;
  // One allocation one page bigger than what is left: refused, nothing charged.
  if (keel::vm_alloc((left + 1) * 4096, KEEL_VM_READ | KEEL_VM_WRITE, &a) != ERR_NO_MEMORY)
    return 2;
  if (info(job).pages != start) return 3;
  // Exactly what is left: fits.
  if (left && keel::vm_alloc(left * 4096, KEEL_VM_READ | KEEL_VM_WRITE, &a) != KEEL_OK) return 4;
  if (info(job).pages != limit) return 5;
  uintptr_t b = 0;
  if (keel::vm_alloc(4096, KEEL_VM_READ, &b) != ERR_NO_MEMORY) return 6;
  // Full: a task needs no user frame, a spawn needs some.
  keel_handle_t p;
  const char* none = nullptr;
  if (keel::spawn("hello", &none, 0, nullptr, 0, &p) != ERR_NO_MEMORY) return 7;
  if (info(job).pages != limit || info(job).tasks != 1) return 8;
  if (left && keel::vm_free(a, left * 4096) != KEEL_OK) return 9;
  if (info(job).pages != start) return 10;
  // And again, after the free.
  if (left && keel::vm_alloc(left * 4096, KEEL_VM_READ | KEEL_VM_WRITE, &a) != KEEL_OK) return 11;
  if (left) static_cast<volatile uint8_t*>(reinterpret_cast<uint8_t*>(a))[left * 4096 - 1] = 1;
  return 0;
}

constexpr size_t MAXD = 20000;
keel_handle_t dups_buf[MAXD];

int dups() {
  keel_handle_t job = h(0);
  for (int round = 0; round < 2; round++) {
    size_t n = 0;
    while (n < MAXD && keel::handle_duplicate(job, KEEL_RIGHT_INSPECT, &dups_buf[n]) == KEEL_OK)
      n++;
    if (n == 0 || n == MAXD) return 20 + round;
    uint64_t full = info(job).handles;
    keel_handle_t a = 0, b = 0;
    if (keel::channel_create(&a, &b) != ERR_NO_MEMORY) return 22;
    keel_job_limits none{};
    if (keel::job_create(KEEL_HANDLE_INVALID, &none, &a) != ERR_NO_MEMORY) return 23;
    keel_handle_t p;
    const char* no = nullptr;
    if (keel::spawn("hello", &no, 0, nullptr, 0, &p) != ERR_NO_MEMORY) return 24;
    if (info(job).handles != full) return 25;
    // One free: a channel (two handles) still does not fit, a duplicate does.
    keel::handle_close(dups_buf[--n]);
    if (keel::channel_create(&a, &b) != ERR_NO_MEMORY) return 26;
    if (info(job).handles != full - 1) return 27;
    for (size_t i = 0; i < n; i++) keel::handle_close(dups_buf[i]);
  }
  return 0;
}

int readfull() {
  keel_handle_t ch = h(0), job = h(1);
  size_t n = 0;
  while (n < MAXD && keel::handle_duplicate(job, KEEL_RIGHT_INSPECT, &dups_buf[n]) == KEEL_OK) n++;
  if (n < 2) return 30;
  uint64_t full = info(job).handles;
  char buf[8];
  keel_handle_t got[4];
  size_t nb = 0, nh = 0;
  int64_t r = keel::read_message(ch, buf, sizeof(buf), &nb, got, 4, &nh, 0);
  if (r == KEEL_OK) return 31;  // two handles cannot fit in a full table
  if (info(job).handles != full) return 32;
  keel::handle_close(dups_buf[--n]);
  r = keel::read_message(ch, buf, sizeof(buf), &nb, got, 4, &nh, 0);
  if (r == KEEL_OK) return 33;  // one slot: still not two
  keel::handle_close(dups_buf[--n]);
  r = keel::read_message(ch, buf, sizeof(buf), &nb, got, 4, &nh, 0);
  if (r != KEEL_OK || nh != 2) return 34;  // the message stayed, whole
  if (info(job).handles != full) return 35;
  return 0;
}

int mkjob() {
  keel_job_limits big{1000000, 1000000, 1000000};
  keel_handle_t j;
  if (keel::job_create(KEEL_HANDLE_INVALID, &big, &j) != KEEL_OK) return 40;
  // The child job's own limit is bigger than ours; ours (3 processes) still binds.
  keel_handle_t ps[4];
  size_t made = 0;
  const char* ms = "100000";
  while (made < 4 && keel::spawn("sleeper", &ms, 1, nullptr, 0, &ps[made], j) == KEEL_OK) made++;
  if (made != 2) return 41 + static_cast<int>(made);  // we are one of 3
  keel_handle_t chain[KEEL_JOB_MAX_DEPTH];
  size_t depth = 0;
  keel_handle_t parent = j;
  keel_job_limits none{};
  while (depth < KEEL_JOB_MAX_DEPTH && keel::job_create(parent, &none, &chain[depth]) == KEEL_OK)
    parent = chain[depth++];
  keel_handle_t extra;
  if (keel::job_create(parent, &none, &extra) != ERR_OUT_OF_RANGE) return 50;
  if (info(parent).job_path[KEEL_JOB_MAX_DEPTH - 1] == 0) return 51;  // parent is at depth 8
  // Full of processes: the deepest job takes none.
  keel_handle_t p;
  if (keel::spawn("sleeper", &ms, 1, nullptr, 0, &p, parent) != ERR_NO_MEMORY) return 52;
  keel::job_kill(j);
  if (info(j).tasks != 0) return 53;
  // Return 60 + depth made so the parent can check it.
  return 60 + static_cast<int>(depth);
}
}  // namespace

int jobbomb() {
  const char* mode = "jobbomb";
  for (uint64_t i = 0;; i++) {
    keel_job_limits lim{static_cast<uint64_t>(i % 3 == 0 ? 4 : 0), 0, 0};
    keel_handle_t c = KEEL_HANDLE_INVALID, p = KEEL_HANDLE_INVALID;
    const char* none = nullptr;
    if (keel::job_create(KEEL_HANDLE_INVALID, &lim, &c) == KEEL_OK) {
      keel::spawn("jobagent", &mode, 1, nullptr, 0, &p, c);
      keel::sleep_ms(i % 4);
      keel::handle_close(c);
    } else {
      keel::spawn("hello", &none, 0, nullptr, 0, &p);
    }
    if (p) keel::handle_close(p);
  }
}

uint8_t page[KEEL_CHANNEL_MAX_BYTES];
void report(uint64_t v) {
  char msg[24];
  size_t n = 0;
  for (uint64_t d = 1000000000; d; d /= 10)
    if (v / d || n || d == 1) msg[n++] = static_cast<char>('0' + (v / d) % 10);
  keel::channel_write(h(0), msg, n);
}

int msgbomb() {
  keel_handle_t s0, s1;
  if (keel::channel_create(&s0, &s1) != KEEL_OK) return 70;
  uint64_t kib = 0;
  for (;;) {
    keel_handle_t a, b;
    int64_t r = keel::channel_create(&a, &b);
    if (r == KEEL_OK) {
      r = keel::channel_write(s0, "b", 1, &b, 1);  // b now lives in s1's queue
      if (r != KEEL_OK) {
        keel::handle_close(a);
        keel::handle_close(b);
        if (r ==
            ERR_SHOULD_WAIT) {  // stash full: a new stash, the old one's reader dropped? no: keep
          keel_handle_t t0, t1;
          if (keel::channel_create(&t0, &t1) != KEEL_OK) break;
          keel::handle_close(s0);  // s1 keeps the queue alive
          s0 = t0;
          // s1 must stay; park it in the new stash (it has messages: not allowed),
          // so keep it: one more handle per 4096 endpoints.
          (void)t1;
          continue;
        }
        break;
      }
      for (unsigned i = 0; i < KEEL_CHANNEL_MAX_QUEUED; i++) {
        r = keel::channel_write(a, page, sizeof(page));
        if (r != KEEL_OK) break;
        kib += 4;
      }
      keel::handle_close(a);
      if (r == ERR_NO_MEMORY) break;
    } else {
      break;
    }
  }
  report(kib);
  for (;;) keel::sleep_ms(100000);
}

int stash(bool with_handles) {
  keel_handle_t s0, ends[KEEL_CHANNEL_MAX_HANDLES * 4];  // every stash's reading end
  size_t stashes = 0;
  if (keel::channel_create(&s0, &ends[stashes++]) != KEEL_OK) return 70;
  uint64_t stashed = 0;
  int64_t r;
  for (;;) {
    keel_handle_t a, b = KEEL_HANDLE_INVALID;
    if (with_handles) {
      if ((r = keel::channel_create(&a, &b)) != KEEL_OK) break;
      keel::handle_close(a);
    }
    r = keel::channel_write(s0, "s", 1, with_handles ? &b : nullptr, with_handles ? 1 : 0);
    if (r != KEEL_OK && with_handles) keel::handle_close(b);
    if (r == ERR_SHOULD_WAIT && stashes < sizeof(ends) / sizeof(ends[0])) {
      keel::handle_close(s0);  // this stash is full: keep its reading end, start another
      if ((r = keel::channel_create(&s0, &ends[stashes++])) != KEEL_OK) {
        stashes--;
        break;
      }
      continue;
    }
    if (r != KEEL_OK) break;
    stashed++;
  }
  // What was stashed goes before the report (it would be refused too).
  keel::handle_close(s0);
  for (size_t i = 0; i < stashes; i++) keel::handle_close(ends[i]);
  report(stashed);
  const char* why = keel_status_name(static_cast<int32_t>(r));
  keel::channel_write(h(0), why, strlen(why));
  for (;;) keel::sleep_ms(100000);
}

// A job at its handle limit reads a handle it sent itself: the message's
// handle is charged to no table while it travels, so the read has room.
int selfsend() {
  keel_handle_t s0, s1, d = KEEL_HANDLE_INVALID, next;
  if (keel::channel_create(&s0, &s1) != KEEL_OK) return 80;
  while (keel::handle_duplicate(h(0), KEEL_RIGHTS_SAME, &next) == KEEL_OK) d = next;
  int64_t r = keel::channel_write(s0, "h", 1, &d, 1);  // the last duplicate travels
  keel_handle_t got = KEEL_HANDLE_INVALID;
  size_t n = 0, nh = 0;
  char b[4];
  if (r == KEEL_OK) r = keel::read_message(s1, b, sizeof(b), &n, &got, 1, &nh, 0);
  if (r == KEEL_OK && (nh != 1 || got == KEEL_HANDLE_INVALID)) r = ERR_BAD_STATE;
  const char* why = keel_status_name(static_cast<int32_t>(r));
  keel::handle_close(s0);  // room for the report (its channel is already ours)
  keel::channel_write(h(0), why, strlen(why));
  for (;;) keel::sleep_ms(100000);
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const char* m = argv[1];
  if (libk::str_eq(m, "killself")) {
    int64_t r = keel::job_kill(h(0));
    return r == KEEL_OK ? 3 : 4;
  }
  if (libk::str_eq(m, "closelast")) {
    keel::handle_close(h(0));
    return 5;
  }
  if (libk::str_eq(m, "closelast2")) {
    keel::Thread t;
    keel::thread_start(t, closer, nullptr);
    volatile uint64_t n = 0;
    for (;;) n = n + 1;
  }
  if (libk::str_eq(m, "holdexit")) {
    keel::sleep_ms(num(argc > 2 ? argv[2] : "0"));
    return 0;
  }
  if (libk::str_eq(m, "hold")) {
    for (;;) keel::sleep_ms(100000);
  }
  if (libk::str_eq(m, "killother")) {
    int64_t r = keel::job_kill(h(0));
    return static_cast<int>(10 - r);
  }
  if (libk::str_eq(m, "vm")) return vm(num(argc > 2 ? argv[2] : "0"));
  if (libk::str_eq(m, "dups")) return dups();
  if (libk::str_eq(m, "readfull")) return readfull();
  if (libk::str_eq(m, "mkjob")) return mkjob();
  if (libk::str_eq(m, "jobbomb")) return jobbomb();
  if (libk::str_eq(m, "msgbomb")) return msgbomb();
  if (libk::str_eq(m, "selfsend")) return selfsend();
  if (libk::str_eq(m, "stash")) return stash(argc > 2 && libk::str_eq(argv[2], "handles"));
  return 2;
}
