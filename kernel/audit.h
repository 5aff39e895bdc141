// The orphan audit: a check the counters cannot make. Counters say how many
// objects are alive; the audit says whether each one is still owned.
//
// It walks every owner the design names (the process table, every handle
// table, every channel's queue and the handles inside its messages, every
// address space's regions, the schedulers' current/idle/dead slots and run
// queues, the wait queues of blocked tasks) and marks what it reaches. Then
// it walks every slab cache of those types and reports each live object
// nothing reached, by type and address: a leak, whatever the counters say.
// Frames get the same treatment by account: every allocated frame must
// belong to a known owner (page tables, slabs, kernel stacks, large kmalloc
// blocks, user pages).
#pragma once
#include <stddef.h>

namespace audit {

// Returns the number of orphans found (objects plus unaccounted frames).
// Run it on a quiet system (the kernel runs it after init exits).
size_t run();

}  // namespace audit
