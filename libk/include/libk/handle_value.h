// Handle values: what user space holds for a slot of its handle table.
//
//   bit 31      always 0 (a value is a positive int32)
//   bits 13..30 generation of the slot (18 bits, wraps, never 0)
//   bits 0..12  slot index + 1 (so 0 is never a valid handle)
//
// Closing a slot bumps its generation, so a stale value (closed, then the slot
// reused) or a forged one is detected instead of naming someone else's object.
// Rights only ever shrink: rights_subset() is the one check.
#pragma once
#include <stdint.h>

namespace libk {

constexpr uint32_t kHandleIndexBits = 13;
constexpr uint32_t kHandleMaxSlots = (1u << kHandleIndexBits) - 1;  // 8191
constexpr uint32_t kHandleGenerationMask = (1u << 18) - 1;

constexpr uint32_t handle_encode(uint32_t index, uint32_t generation) {
  return ((generation & kHandleGenerationMask) << kHandleIndexBits) | (index + 1);
}

// Splits a value; false for values no slot can ever have.
constexpr bool handle_decode(uint32_t value, uint32_t* index, uint32_t* generation) {
  if (value == 0 || (value >> 31)) return false;
  uint32_t low = value & ((1u << kHandleIndexBits) - 1);
  uint32_t gen = value >> kHandleIndexBits;
  if (low == 0 || gen == 0) return false;
  *index = low - 1;
  *generation = gen;
  return true;
}

// The next generation after a close: never 0.
constexpr uint32_t handle_next_generation(uint32_t g) {
  uint32_t n = (g + 1) & kHandleGenerationMask;
  return n == 0 ? 1 : n;
}

constexpr bool rights_subset(uint32_t wanted, uint32_t held) { return (wanted & ~held) == 0; }

}  // namespace libk
