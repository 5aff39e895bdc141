// Kernel stacks: KSTACK_PAGES pages mapped in the kernel-stack area with an
// unmapped guard page below each, so an overflow faults instead of silently
// overwriting the neighbour. Frames come from the frame allocator one page
// at a time; the counter kstack_frames says how many are in use.
#pragma once
#include <libk/result.h>
#include <stddef.h>
#include <stdint.h>

class KernelStack {
 public:
  static constexpr size_t PAGES = 4;  // 16 KiB

  KernelStack() = default;
  KernelStack(const KernelStack&) = delete;
  KernelStack& operator=(const KernelStack&) = delete;
  ~KernelStack();

  // Map a fresh stack; ERR_NO_MEMORY (nothing kept) if frames or slots run out.
  libk::Result<void> allocate();
  // Unmap it and give its frames back. Never call on the stack in use.
  void release();
  // Take over other's stack (other is left empty): a secondary hart's boot
  // stack becomes its idle task's.
  void take_from(KernelStack& other) {
    top_ = other.top_;
    slot_ = other.slot_;
    other.top_ = 0;
    other.slot_ = 0;
  }

  bool allocated() const { return top_ != 0; }
  uintptr_t top() const { return top_; }
  uintptr_t bottom() const { return top_ - PAGES * 4096; }
  uintptr_t guard() const { return bottom() - 4096; }

 private:
  uintptr_t top_ = 0;
  uint32_t slot_ = 0;
};

namespace kstack {
void init();  // build the page tables of the stack area once
size_t frames_in_use();
size_t stacks_in_use();
}  // namespace kstack
