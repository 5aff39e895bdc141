// The kernel-side benchmarks: costs in instructions (exact under QEMU
// -icount shift=0, as scripts/bench runs them) and nanoseconds. They check
// behaviour like any test and print "bench <name> instructions=<n> ns=<n>".
#include <arch/csr.h>
#include <arch/timer.h>

#include "ktest/ktest.h"
#include "mm/pmm.h"
#include "sched/sched.h"

namespace {
constexpr int YIELDS = 20000;
struct PingPongYield {
  uint64_t start, end, t_start, t_end;
};

uint64_t ns_between(uint64_t t0, uint64_t t1) {
  return (t1 - t0) * 1000000000ull / timer::timebase_hz();
}

void report(const char* name, uint64_t instructions, uint64_t ns) {
  kprintf("bench %s instructions=%lu ns=%lu\n", name, instructions, ns);
}
int yielder(void* arg) {
  auto* r = static_cast<PingPongYield*>(arg);
  if (r) {
    r->t_start = timer::now();
    r->start = arch::r_instret();
  }
  for (int i = 0; i < YIELDS; i++) sched::yield();
  if (r) {
    r->end = arch::r_instret();
    r->t_end = timer::now();
  }
  return 0;
}
int trivial(void*) { return 3; }
}  // namespace

KTEST("bench.yield_switch") {
  PingPongYield r{};
  auto a = Task::create("yield-a", yielder, &r);
  auto b = Task::create("yield-b", yielder, nullptr);
  KT_ASSERT(a.ok() && b.ok());
  RefPtr<Task> ta = a.value(), tb = b.value();
  uint64_t switches = sched::context_switches();
  sched::start(a.release_value());
  sched::start(b.release_value());
  KT_EXPECT(sched::join(*ta).ok());
  KT_EXPECT(sched::join(*tb).ok());
  // Each yield of one task switched to the other (the runner is blocked).
  KT_EXPECT(sched::context_switches() - switches >= 2u * YIELDS);
  report("yield_switch", (r.end - r.start) / (2 * YIELDS),
         ns_between(r.t_start, r.t_end) / (2 * YIELDS));
}

KTEST("bench.task_create_exit_join") {
  constexpr int N = 2000;
  uint64_t t0 = timer::now();
  uint64_t start = arch::r_instret();
  for (int i = 0; i < N; i++) {
    auto t = Task::create("trivial", trivial, nullptr);
    KT_ASSERT(t.ok());
    RefPtr<Task> mine = t.value();
    sched::start(t.release_value());
    auto code = sched::join(*mine);
    KT_EXPECT(code.ok() && code.value() == 3);
  }
  uint64_t instructions = (arch::r_instret() - start) / N;
  report("task_create_exit_join", instructions, ns_between(t0, timer::now()) / N);
}

KTEST("bench.frame_alloc_free") {
  constexpr int N = 20000;
  pmm::free(pmm::alloc(0, pmm::FrameUse::Test).value(), 0,
            pmm::FrameUse::Test);  // warm the frame cache
  uint64_t t0 = timer::now();
  uint64_t start = arch::r_instret();
  for (int i = 0; i < N; i++) {
    auto pa = pmm::alloc(0, pmm::FrameUse::Test);
    KT_ASSERT(pa.ok());
    pmm::free(pa.value(), 0, pmm::FrameUse::Test);
  }
  uint64_t instructions = (arch::r_instret() - start) / N;
  report("frame_alloc_free", instructions, ns_between(t0, timer::now()) / N);
}
