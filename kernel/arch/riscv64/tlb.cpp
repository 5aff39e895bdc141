#include <arch/csr.h>
#include <arch/lockdebug.h>
#include <arch/sbi.h>
#include <arch/tlb.h>

namespace arch::tlb {
namespace {
libk::Atomic<uint64_t> epoch{1};
}

uint64_t epoch_now() { return epoch.load(libk::MemoryOrder::Acquire); }

void note_full_flush(uint64_t e) {
  libk::AtomicRef(this_cpu()->tlb_epoch_seen).store(e, libk::MemoryOrder::Release);
}

uint64_t stamp() { return epoch.fetch_add(1, libk::MemoryOrder::AcqRel); }

bool flushed_everywhere_since(uint64_t s) {
  for (unsigned i = 0, n = cpus_online(); i < n; i++) {
    Cpu* c = cpu(i);
    if (!libk::AtomicRef(c->online).load(libk::MemoryOrder::Acquire)) continue;
    if (libk::AtomicRef(c->tlb_epoch_seen).load(libk::MemoryOrder::Acquire) <= s) return false;
  }
  return true;
}

void flush_everywhere() {
  flush_local();
  Cpu* me = this_cpu();
  for (unsigned i = 0, n = cpus_online(); i < n; i++) {
    Cpu* c = cpu(i);
    if (c != me && libk::AtomicRef(c->online).load(libk::MemoryOrder::Acquire)) shootdown(*c);
  }
}

void serve() {
  Cpu* c = this_cpu();
  if (lockdebug::enabled) lockdebug::poll();
  uint64_t wanted = c->tlb_requested.load(libk::MemoryOrder::Acquire);
  if (c->tlb_done.load(libk::MemoryOrder::Relaxed) == wanted) return;
  flush_local();
  c->tlb_done.store(wanted, libk::MemoryOrder::Release);
}

void shootdown(Cpu& target) {
  uint64_t ticket = target.tlb_requested.fetch_add(1, libk::MemoryOrder::AcqRel) + 1;
  sbi::send_ipi(target.hartid);
  if (lockdebug::enabled) this_cpu()->shooting_at = static_cast<int>(target.index);
  while (target.tlb_done.load(libk::MemoryOrder::Acquire) < ticket) {
    serve();  // it may be waiting for us at the same time
    cpu_relax();
  }
  if (lockdebug::enabled) this_cpu()->shooting_at = -1;
}

}  // namespace arch::tlb
