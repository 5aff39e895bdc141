// TLB shootdown between harts, by Keel's own IPIs (not SBI RFENCE, whose
// OpenSBI implementation can livelock when harts fence each other under
// load: opensbi issue #402, and hung our 2-hart benchmark).
//
// The initiator bumps the target's request count, sends an IPI and waits
// until the target's done count has caught up. The target does a full
// sfence.vma and publishes the count it served: in its IPI handler, or
// wherever it spins with interrupts off (lock waits, the scheduler's wait
// for a task's context, the initiator's own wait), so two harts shooting at
// each other, or one spinning on a lock the other holds while it shoots,
// never deadlock.
#pragma once
#include <arch/cpu.h>

namespace arch::tlb {

// Flush every TLB entry on `target` (another online hart); returns once done.
void shootdown(Cpu& target);
// Serve this hart's pending shootdown requests (cheap when there are none).
void serve();

// Lazy flushing, for kernel-half pages that nobody touches after their unmap
// until the address is handed out again (kernel stacks): no IPI at unmap.
// Every hart does a full flush at least once a tick (and at every satp
// switch) and records the epoch it had read before it. An unmap takes a
// stamp; the address may be reused once every hart has flushed since.
uint64_t stamp();                           // after the unmap
bool flushed_everywhere_since(uint64_t s);  // every online hart flushed after stamp s
void flush_everywhere();                    // make it so now (shootdowns)
// This hart's full flush, with the epoch it read before it (see flush_local).
uint64_t epoch_now();
void note_full_flush(uint64_t epoch_read_before);
inline void flush_local() {
  uint64_t e = epoch_now();
  sfence_vma();
  note_full_flush(e);
}

}  // namespace arch::tlb
