// Scheduler costs in instructions (exact under QEMU -icount shift=0; the
// bench.* tests are run that way by the bench suite). They check behaviour
// like any test and print "# bench <name> <instructions per op>".
#include "arch/riscv64/csr.h"
#include "ktest/ktest.h"
#include "sched/sched.h"

namespace {
constexpr int YIELDS = 20000;
struct PingPongYield {
  uint64_t start, end;
};
int yielder(void* arg) {
  auto* r = static_cast<PingPongYield*>(arg);
  if (r) r->start = arch::r_instret();
  for (int i = 0; i < YIELDS; i++) sched::yield();
  if (r) r->end = arch::r_instret();
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
  kprintf("# bench yield_switch %lu\n", (r.end - r.start) / (2 * YIELDS));
}

KTEST("bench.task_create_exit_join") {
  constexpr int N = 2000;
  uint64_t start = arch::r_instret();
  for (int i = 0; i < N; i++) {
    auto t = Task::create("trivial", trivial, nullptr);
    KT_ASSERT(t.ok());
    RefPtr<Task> mine = t.value();
    sched::start(t.release_value());
    auto code = sched::join(*mine);
    KT_EXPECT(code.ok() && code.value() == 3);
  }
  kprintf("# bench task_create_exit_join %lu\n", (arch::r_instret() - start) / N);
}
