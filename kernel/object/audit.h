// The orphan audit: a check the counters cannot make. Counters say how many
// objects are alive; the audit says whether each one is still owned.
//
// It walks every owner the design names (the process table, every handle
// table, every channel's queue and the handles inside its messages, every
// address space's regions and tables, the schedulers' current/idle/dead
// slots and run queues, the wait queues of blocked tasks, every task's stack
// and scratch buffers) and marks what it reaches, through an explicit work
// list (no recursion: users decide how deep channels nest). Then it reports
// by address and kind everything alive that nothing reached: each live
// object of those types, each kmalloc block and message payload (by size
// class), and each allocated frame, accounted one by one by its owner from
// the frame allocator's records (FrameUse): a leak, whatever the counters say.
#pragma once
#include <stddef.h>

namespace audit {

// Returns the number of orphans found (objects, heap blocks and frames).
// Interrupts are off while it runs, so it sees one consistent picture of
// this hart's world (the kernel runs it after init exits; tests and the
// system_audit syscall run it at any time).
size_t run();

}  // namespace audit
