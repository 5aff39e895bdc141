// Lock debugging (bootarg lockdebug=on, or lockdebug=<ms> for the bounds;
// on by default in a build configured with -Dlockdebug=true). Off, each
// lock operation pays one predictable branch. On, every hart keeps the
// stack of spinlocks it holds and the kernel panics, naming the locks, on:
//   - taking a lock whose rank is not above every rank held (the order is
//     README's lock table; try_lock is exempt: it cannot deadlock);
//   - blocking (a wait queue, yield, sleep) with any spinlock held other
//     than the one the block hands over;
//   - a spinlock held longer than the bound, or waited for longer than it
//     (a deadlock report naming the hart that holds it).
#pragma once
#include <stdint.h>

// Ranks: a lock may be taken only while holding locks of lower rank.
enum class LockRank : uint8_t {
  None = 0,      // unranked (tests): tracked, not ordered
  Carry,         // channel.cpp carry_lock
  ProcessTable,  // process_table's list
  JobTree,       // job.cpp's tree_lock: every job's children, processes and killed flag
  Process,       // Process::lock_
  ChannelPair,   // ChannelPair::lock (also its endpoints' wait queues': a kill takes it)
  WaitQueue,     // every WaitQueue's lock
  HandleTable,   // HandleTable::lock_
  Observer,      // observer_lock (a handle table asks whether a link is revoked)
  AddressSpace,  // AddressSpace::lock_ (regions and table structure)
  Asid,          // page_table_hw.cpp's ASID allocator
  Hart,          // HartSched::lock
  KernelStack,   // kstack slots
  Slab,          // a slab cache
  Frames,        // the frame allocator
  FailAlloc,     // fault injection's state
  Console,       // the UART's locks
};

namespace lockdebug {

extern bool enabled;          // set once at boot, before other harts start
extern uint64_t bound_ticks;  // timebase ticks a lock may be held or waited for
void enable(uint64_t bound_ms, uint64_t timebase_hz);

void acquired(const void* lock, LockRank rank, const char* name, bool tried);
void released(const void* lock);
// About to block handing over `handed` (may be null): nothing else may be held.
void check_may_block(const void* handed);
// A lock waited for since `since` (timebase ticks), held by CPU `holder`.
void waiting(const void* lock, const char* name, uint64_t since, unsigned holder);
// Called wherever a hart serves shootdowns (every spin loop, the IPI): prints
// this hart's backtrace if a deadlock report asked for it.
void poll();

}  // namespace lockdebug
