#include "scratch.h"

#include "mm/kmalloc.h"
#include "sched/sched.h"

libk::Result<void*> ScratchBuffer::allocate(size_t n) {
  if (block_) return libk::err(ERR_BAD_STATE);
  Task* self = sched::current();
  unsigned slot = 0;
  while (slot < Task::SCRATCH_SLOTS && self->scratch[slot]) slot++;
  if (slot == Task::SCRATCH_SLOTS) return libk::err(ERR_NO_MEMORY);
  block_ = TRY(kmalloc(n));
  slot_ = slot;
  self->scratch[slot] = block_;
  return block_;
}

ScratchBuffer::~ScratchBuffer() {
  if (!block_) return;
  sched::current()->scratch[slot_] = nullptr;
  kfree(block_);
}
