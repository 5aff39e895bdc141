// Handle values: what user space holds for a slot of its handle table.
//
//   bit 63      always 0 (a value is a positive int64)
//   bits 13..62 generation of the slot (50 bits: 1 .. 2^50 - 1, never 0)
//   bits 0..12  slot index + 1 (so 0 is never a valid handle)
//
// Invariant: a value, once handed out, never names anything again after its
// handle is closed or moved. Closing a slot moves its generation on by one, so
// a stale value (closed, then the slot reused) or a forged one is detected
// instead of naming someone else's object; and generations never wrap: a
// slot that reaches its last generation is retired when it closes (the
// table never reuses it; handle_next_generation() says so by returning 0).
//
// The arithmetic: a slot must be closed 2^50 - 1 (about 1.1e15) times to use
// up its generations. At ten million closes a second of that one slot (far
// faster than Keel closes handles: see handle_dup_close in the README), that
// takes 2^50 / 10^7 s, about 3.6 years; and even then the slot retires
// instead of repeating a value (the process then has one slot fewer).
//
// Rights only ever shrink: rights_subset() is the one check.
#pragma once
#include <stdint.h>

namespace libk {

constexpr uint32_t kHandleIndexBits = 13;
constexpr uint32_t kHandleMaxSlots = (1u << kHandleIndexBits) - 1;  // 8191
constexpr uint32_t kHandleGenerationBits = 50;
constexpr uint64_t kHandleFirstGeneration = 1;
constexpr uint64_t kHandleLastGeneration = (uint64_t{1} << kHandleGenerationBits) - 1;
static_assert(kHandleIndexBits + kHandleGenerationBits == 63, "bit 63 stays 0");

// index < kHandleMaxSlots, generation in 1 .. kHandleLastGeneration.
constexpr uint64_t handle_encode(uint32_t index, uint64_t generation) {
  return (generation << kHandleIndexBits) | (uint64_t{index} + 1);
}

// Splits a value; false for values no slot can ever have.
constexpr bool handle_decode(uint64_t value, uint32_t* index, uint64_t* generation) {
  if (value == 0 || (value >> 63)) return false;
  uint32_t low = static_cast<uint32_t>(value & ((uint64_t{1} << kHandleIndexBits) - 1));
  uint64_t gen = value >> kHandleIndexBits;
  if (low == 0 || gen == 0) return false;
  *index = low - 1;
  *generation = gen;
  return true;
}

// The generation a slot has after a close; 0 when `g` was its last one: the
// slot is then retired, never reused, so no value can repeat.
constexpr uint64_t handle_next_generation(uint64_t g) {
  return g < kHandleLastGeneration ? g + 1 : 0;
}

constexpr bool rights_subset(uint32_t wanted, uint32_t held) { return (wanted & ~held) == 0; }

}  // namespace libk
