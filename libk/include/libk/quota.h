// Quota: hierarchical resource accounting with limits, in the spirit of
// seL4's untyped memory: a level (a job) may hold at most `limit` of each
// resource, counting everything its subtree holds; a charge is made at the
// level and every ancestor, all or nothing, so no subtree can exceed what
// any level above it allows, however it nests.
//
// Lock-free: each level's count moves by compare-exchange, so charging
// from many harts at once never overshoots a limit. A failed charge undoes
// what it did at the levels below the one that refused, so usage seen from
// outside never stays above a limit.
#pragma once
#include <libk/assert.h>
#include <libk/atomic.h>
#include <stddef.h>
#include <stdint.h>

namespace libk {

class Quota {
 public:
  // MessageBytes: kernel memory in messages sent and not yet received.
  enum Resource : unsigned { Processes, Handles, Frames, MessageBytes, COUNT };
  static constexpr uint64_t UNLIMITED = UINT64_MAX;

  // limits[r] == 0 means "no limit of this level's own" (ancestors' apply).
  Quota(Quota* parent, const uint64_t (&limits)[COUNT]) : parent_(parent) {
    for (unsigned r = 0; r < COUNT; r++) limit_[r] = limits[r] ? limits[r] : UNLIMITED;
  }
  Quota(const Quota&) = delete;
  Quota& operator=(const Quota&) = delete;

  Quota* parent() const { return parent_; }
  uint64_t used(Resource r) const { return used_[r].load(MemoryOrder::Relaxed); }
  uint64_t limit(Resource r) const { return limit_[r]; }

  // n more of r here and at every ancestor, or false and nothing changed.
  bool charge(Resource r, uint64_t n) {
    if (n == 0) return true;
    for (Quota* q = this; q; q = q->parent_) {
      if (!q->try_add(r, n)) {
        for (Quota* u = this; u != q; u = u->parent_) u->sub(r, n);
        return false;
      }
    }
    return true;
  }
  // Give back n of r (charged earlier) here and at every ancestor.
  void uncharge(Resource r, uint64_t n) {
    for (Quota* q = this; q; q = q->parent_) q->sub(r, n);
  }

 private:
  bool try_add(Resource r, uint64_t n) {
    uint64_t cur = used_[r].load(MemoryOrder::Relaxed);
    do {
      if (cur > limit_[r] || n > limit_[r] - cur) return false;
    } while (!used_[r].compare_exchange_weak(cur, cur + n, MemoryOrder::Relaxed));
    return true;
  }
  // The count after; a count going below zero is a bookkeeping bug.
  uint64_t sub(Resource r, uint64_t n) {
    uint64_t old = used_[r].fetch_sub(n, MemoryOrder::AcqRel);
    LIBK_ASSERT(old >= n);
    return old - n;
  }

  Quota* parent_;
  uint64_t limit_[COUNT];
  Atomic<uint64_t> used_[COUNT];
};

}  // namespace libk
