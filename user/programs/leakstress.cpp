// leakstress: the randomised, seeded workload behind scripts/leakcheck and
// the leak suite. Run by init in the shell's place:
//   init=init initargs=leakstress,ROUNDS,SEED
// (startup handle 0: a procfs client endpoint). It keeps several processes
// alive at once and, round after round, picks at random among:
//   spawn + exit + wait;  spawn a victim (spinning, sleeping, blocked in
//   channel_call, holding handles, or six tasks in as many states) and
//   later kill it at a random moment;
//   ls /proc and cat /proc/<pid>/status racing with those exits;  channels
//   closed with messages (carrying handles, nested channels) in flight;
//   handle duplicate / transfer / close churn;  vm_alloc / vm_free;  a fork
//   bomb in a job with a small quota (sometimes nested a level down),
//   killed with job_kill or by closing the job's last handle at a random
//   moment.
// Worker processes (leakstress worker SEED ROUNDS) run the channel, handle
// and memory churn concurrently. Every SAMPLE rounds it prints a line
//   kstat-sample ROUND name=value name=value ...
// and at the end, with every process reaped and every handle closed, it
// compares all counters with the baseline and prints
//   leakcheck: R rounds, K counters above baseline
// exiting 0 only when K is 0.
#include <libk/format.h>
#include <libk/string.h>
#include <procfs/protocol.h>

#include "keel.h"

namespace {

struct Rng {
  uint64_t s;
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ull;
  }
  uint64_t below(uint64_t n) { return next() % n; }
};

uint64_t parse(const char* s) {
  uint64_t v = 0;
  while (*s >= '0' && *s <= '9') v = v * 10 + static_cast<uint64_t>(*s++ - '0');
  return v;
}

uint64_t pid_of(keel_handle_t p) {
  keel_object_info info;
  return keel::object_info(p, &info) == KEEL_OK ? info.koid : 0;
}

// ---------------- churn that needs no other process ----------------

// Channels closed with messages in flight, some carrying handles, some of
// those handles channels that themselves hold messages.
void channel_churn(Rng& rng) {
  keel_handle_t a, b;
  if (keel::channel_create(&a, &b) < 0) return;
  int messages = static_cast<int>(rng.below(6));
  for (int i = 0; i < messages; i++) {
    keel_handle_t x, y;
    if (keel::channel_create(&x, &y) < 0) break;
    if (rng.below(2)) keel::channel_write(y, "inner", 5);  // x carries a queued message
    keel_handle_t carry[2] = {x, y};
    size_t n = 1 + rng.below(2);
    // y may not travel with a queued message to itself; send what is allowed.
    if (keel::channel_write(a, "outer", 5, carry, n) < 0) {
      keel::handle_close(x);
      keel::handle_close(y);
    } else if (n == 1) {
      keel::handle_close(y);
    }
  }
  if (rng.below(3) == 0) {  // sometimes read one back first
    char buf[8];
    keel_handle_t hs[2];
    size_t got, nh;
    if (keel::read_message(b, buf, sizeof(buf), &got, hs, 2, &nh, 0) == KEEL_OK)
      for (size_t i = 0; i < nh; i++) keel::handle_close(hs[i]);
  }
  if (rng.below(2)) {
    keel::handle_close(a);
    keel::handle_close(b);
  } else {
    keel::handle_close(b);
    keel::handle_close(a);
  }
}

// Duplicate, transfer (to ourselves through a channel), close.
void handle_churn(Rng& rng) {
  keel_handle_t a, b, c, d;
  if (keel::channel_create(&a, &b) < 0) return;
  if (keel::channel_create(&c, &d) < 0) {
    keel::handle_close(a);
    keel::handle_close(b);
    return;
  }
  keel_handle_t dups[4];
  size_t n = rng.below(4);
  for (size_t i = 0; i < n; i++)
    if (keel::handle_duplicate(c, KEEL_RIGHT_READ | KEEL_RIGHT_TRANSFER | KEEL_RIGHT_DUPLICATE,
                               &dups[i]) < 0)
      dups[i] = KEEL_HANDLE_INVALID;
  if (n && keel::channel_write(a, "t", 1, &dups[0], 1) == KEEL_OK) {
    char buf[2];
    size_t got, nh;
    keel_handle_t back = KEEL_HANDLE_INVALID;
    if (keel::read_message(b, buf, sizeof(buf), &got, &back, 1, &nh, 0) == KEEL_OK && rng.below(2))
      keel::handle_close(back);  // else left for the channel close to free... no: we own it now
    else if (back != KEEL_HANDLE_INVALID)
      keel::handle_close(back);
    dups[0] = KEEL_HANDLE_INVALID;
  }
  for (size_t i = 0; i < n; i++)
    if (dups[i] != KEEL_HANDLE_INVALID) keel::handle_close(dups[i]);
  keel::handle_close(a);
  keel::handle_close(b);
  keel::handle_close(c);
  keel::handle_close(d);
}

void vm_churn(Rng& rng) {
  uintptr_t addr[4];
  size_t size[4];
  size_t n = 1 + rng.below(4);
  for (size_t i = 0; i < n; i++) {
    size[i] = (1 + rng.below(16)) * 4096;
    if (keel::vm_alloc(size[i], KEEL_VM_READ | KEEL_VM_WRITE, &addr[i]) < 0)
      addr[i] = 0;
    else
      reinterpret_cast<volatile uint8_t*>(addr[i])[size[i] - 1] = 1;
  }
  for (size_t i = 0; i < n; i++)
    if (addr[i]) keel::vm_free(addr[i], size[i]);
}

// A fork bomb in a job of its own (maybe a child job of one), limited to a
// few processes; killed at a random moment, by job_kill or by closing the
// last handle (both return once everything in it is torn down).
uint64_t failures = 0;
void job_round(Rng& rng) {
  keel_job_limits limits{2 + rng.below(7), 0, 0};
  keel_handle_t outer, job;
  if (keel::job_create(KEEL_HANDLE_INVALID, &limits, &outer) != KEEL_OK) {
    failures++;
    return;
  }
  keel_job_limits none{};
  bool nested = rng.below(2);
  if (!nested) {
    job = outer;
  } else if (keel::job_create(outer, &none, &job) != KEEL_OK) {
    failures++;
    keel::handle_close(outer);
    return;
  }
  keel_handle_t bomb;
  if (keel::spawn("forkbomb", nullptr, 0, nullptr, 0, &bomb, job) == KEEL_OK) {
    keel::sleep_ms(rng.below(20));
    keel::handle_close(bomb);
  } else {
    failures++;
  }
  keel_object_info info;
  if (rng.below(2)) {
    if (keel::job_kill(outer) != KEEL_OK) failures++;
    if (keel::object_info(outer, &info) != KEEL_OK || info.tasks != 0) failures++;  // all gone
  }
  if (nested) keel::handle_close(job);
  keel::handle_close(outer);  // the last handle: kills the job if job_kill did not
}

int worker(uint64_t seed, uint64_t rounds) {
  Rng rng{seed * 0x9e3779b97f4a7c15ull + 1};
  for (uint64_t i = 0; i < rounds; i++) {
    switch (rng.below(3)) {
      case 0:
        channel_churn(rng);
        break;
      case 1:
        handle_churn(rng);
        break;
      default:
        vm_churn(rng);
        break;
    }
    if (rng.below(4) == 0) keel::yield();
  }
  return 0;
}

// ---------------- the driver ----------------

keel_handle_t procfs_service;
constexpr size_t SLOTS = 6;
struct Slot {
  keel_handle_t process = KEEL_HANDLE_INVALID;
  keel_handle_t extra = KEEL_HANDLE_INVALID;  // our end of its channel, if any
  uint64_t pid = 0;
  uint64_t kill_at = 0;  // round at which it is killed
};
Slot slots[SLOTS];

void reap(Slot& s, bool kill) {
  if (s.process == KEEL_HANDLE_INVALID) return;
  if (kill) keel::process_kill(s.process);
  int64_t code;
  if (keel::process_wait(s.process, &code, keel::PATIENCE_MS) != KEEL_OK) failures++;
  if (s.extra != KEEL_HANDLE_INVALID) keel::handle_close(s.extra);
  s = Slot{};
}

void spawn_victim(Rng& rng, Slot& s, uint64_t round) {
  keel_handle_t mine = KEEL_HANDLE_INVALID, theirs = KEEL_HANDLE_INVALID;
  keel_handle_t p = KEEL_HANDLE_INVALID;
  int64_t r;
  switch (rng.below(5)) {
    case 0:
      r = keel::spawn("spin", nullptr, 0, nullptr, 0, &p);
      break;
    case 4: {  // six tasks: spinning, yielding, sleeping, reading, joining (other harts too)
      if (keel::channel_create(&mine, &theirs) < 0) return;
      const char* args[] = {"states"};
      r = keel::spawn("tasks", args, 1, &theirs, 1, &p);
      break;
    }
    case 1: {
      const char* args[] = {rng.below(2) ? "5" : "2000"};
      r = keel::spawn("sleeper", args, 1, nullptr, 0, &p);
      break;
    }
    case 2: {
      if (keel::channel_create(&mine, &theirs) < 0) return;
      r = keel::spawn("caller", nullptr, 0, &theirs, 1, &p);  // blocked in channel_call
      break;
    }
    default: {
      if (keel::channel_create(&mine, &theirs) < 0) return;
      const char* args[] = {"40"};
      r = keel::spawn("holder", args, 1, &theirs, 1, &p);
      break;
    }
  }
  if (r < 0) {
    failures++;
    if (mine != KEEL_HANDLE_INVALID) keel::handle_close(mine);
    if (theirs != KEEL_HANDLE_INVALID) keel::handle_close(theirs);
    return;
  }
  s.process = p;
  s.extra = mine;
  s.pid = pid_of(p);
  s.kill_at = round + rng.below(8);
}

void procfs_race(Rng& rng) {
  static char out[procfs::DATA_MAX];
  size_t len;
  if (procfs::request(procfs_service, procfs::OP_LIST, "/proc", out, sizeof(out), &len) != KEEL_OK)
    failures++;
  Slot& s = slots[rng.below(SLOTS)];
  uint64_t pid = s.pid ? s.pid : 1 + rng.below(100);
  char path[48];
  libk::format(path, sizeof(path), "/proc/%lu/status", pid);
  int64_t r = procfs::request(procfs_service, procfs::OP_READ, path, out, sizeof(out), &len);
  if (r != KEEL_OK && r != ERR_NOT_FOUND) failures++;  // racing an exit: not found is right
}

keel::KstatSnapshot base, now;

void sample(uint64_t round) {
  keel::kstat_snapshot(now);
  keel::printf("kstat-sample %lu", round);
  for (size_t i = 0; i < now.count; i++) keel::printf(" %s=%ld", now.names[i], now.values[i]);
  keel::printf("\n");
}

void settle() {
  for (Slot& s : slots) reap(s, true);
  static char out[procfs::DATA_MAX];
  size_t len;
  procfs::request(procfs_service, procfs::OP_LIST, "/proc", out, sizeof(out), &len);
}

int driver(uint64_t rounds, uint64_t seed) {
  Rng rng{seed * 0x9e3779b97f4a7c15ull + 7};
  const uint64_t sample_every = rounds >= 200 ? rounds / 100 : 2;
  // Warm up, so that first-use allocations are in the baseline.
  for (int i = 0; i < 3; i++) {
    channel_churn(rng);
    handle_churn(rng);
    vm_churn(rng);
    procfs_race(rng);
  }
  settle();
  keel::kstat_snapshot(base);
  sample(0);

  keel_handle_t workers[3];
  size_t nworkers = 0;
  for (size_t w = 0; w < 3; w++) {
    char s[24], r[24];
    libk::format(s, sizeof(s), "%lu", seed * 31 + w);
    libk::format(r, sizeof(r), "%lu", rounds / 2 + 1);
    const char* args[] = {"worker", s, r};
    if (keel::spawn("leakstress", args, 3, nullptr, 0, &workers[nworkers]) == KEEL_OK)
      nworkers++;
    else
      failures++;
  }

  for (uint64_t round = 1; round <= rounds; round++) {
    for (Slot& s : slots)
      if (s.process != KEEL_HANDLE_INVALID && s.kill_at <= round) reap(s, true);
    switch (rng.below(8)) {
      case 0: {
        keel_handle_t p;
        const char* args[] = {"3"};
        int64_t code;
        if (keel::spawn("exitcode", args, 1, nullptr, 0, &p) != KEEL_OK ||
            keel::process_wait(p, &code, keel::PATIENCE_MS) != KEEL_OK || code != 3)
          failures++;
        break;
      }
      case 1:
      case 2: {
        Slot& s = slots[rng.below(SLOTS)];
        if (s.process == KEEL_HANDLE_INVALID) spawn_victim(rng, s, round);
        break;
      }
      case 3:
        procfs_race(rng);
        break;
      case 4:
        channel_churn(rng);
        break;
      case 5:
        handle_churn(rng);
        break;
      case 6:
        job_round(rng);
        break;
      default:
        vm_churn(rng);
        break;
    }
    if (round % sample_every == 0) sample(round);
    if (rounds >= 10 && round % (rounds / 10) == 0)
      keel::printf("leakcheck: round %lu/%lu, %lu failures so far\n", round, rounds, failures);
  }
  for (size_t w = 0; w < nworkers; w++) {
    int64_t code;
    if (keel::process_wait(workers[w], &code, KEEL_TIMEOUT_INFINITE) != KEEL_OK || code != 0)
      failures++;
  }
  settle();
  sample(rounds);
  keel::kstat_snapshot(now);  // at once: every wait and request above returned
  size_t above = 0;
  for (size_t i = 0; i < now.count; i++) {
    int64_t before = 0;
    keel::kstat_value(base, now.names[i], &before);
    int64_t delta = now.values[i] - before;
    if (keel::kstat_leaked(now.names[i], before, now.values[i])) {
      above++;
      keel::printf("leakcheck: %s drifted %+ld (%ld -> %ld)\n", now.names[i], delta, before,
                   now.values[i]);
    }
  }
  if (failures) keel::printf("leakcheck: %lu operations failed unexpectedly\n", failures);
  keel::printf("leakcheck: %lu rounds, %zu counters above baseline\n", rounds, above);
  return above == 0 && failures == 0 ? 0 : 1;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc > 3 && libk::str_eq(argv[1], "worker")) return worker(parse(argv[2]), parse(argv[3]));
  procfs_service = keel::startup_handle(0);
  uint64_t rounds = argc > 1 ? parse(argv[1]) : 1000;
  uint64_t seed = argc > 2 ? parse(argv[2]) : 1;
  return driver(rounds ? rounds : 1, seed);
}
