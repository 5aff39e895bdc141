// A syscall's temporary kernel buffer, owned by the task running it.
//
// A few syscalls need more room than a kernel stack should give (a kstat
// snapshot, a long pid list). The buffer is kmalloc'd and named by a slot
// in the current task (Task::scratch) for as long as it lives, so it has an
// owner the orphan audit can walk to even while the task is preempted in
// the middle of the syscall; the destructor frees it and clears the slot.
#pragma once
#include <libk/result.h>
#include <stddef.h>

class ScratchBuffer {
 public:
  ScratchBuffer() = default;
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;
  ~ScratchBuffer();

  // n zeroed bytes; ERR_NO_MEMORY (also when the task's slots are all taken).
  libk::Result<void*> allocate(size_t n);
  void* get() const { return block_; }

 private:
  void* block_ = nullptr;
  unsigned slot_ = 0;
};
