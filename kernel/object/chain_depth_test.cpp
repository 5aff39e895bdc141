// How deep the kernel's stack goes when it audits and frees a chain of
// channels nested in queued messages: the same for 10 levels as for
// 10,000. A user decides how deep such a chain is, so no kernel walk over
// it may recurse (the audit uses a work list, freeing a graveyard list).
//
// Measured by painting the unused part of this task's stack, running the
// operation, and finding the lowest byte it changed.
#include <arch/csr.h>
#include <libk/string.h>

#include "ktest/ktest.h"
#include "object/audit.h"
#include "object/channel.h"
#include "object/process.h"
#include "sched/sched.h"

namespace {
constexpr uint8_t PAINT = 0xa5;
constexpr uint32_t RIGHTS = KEEL_RIGHT_READ | KEEL_RIGHT_WRITE | KEEL_RIGHT_TRANSFER;

// What "flat" allows. The walks themselves use a few hundred bytes (more or
// less with the allocator paths a run takes). An interrupt taken meanwhile
// lands on this stack too, at whatever depth the walk is: its trap frame
// and handler, and on a busy host a preemption's switch, about 500 bytes
// more (seen: 1,040 freeing 1,000 levels under `check --stress`, against
// 552 without). One frame per level, the recursion these tests exist to
// catch, needs at least 32 KB at 1,000 levels.
constexpr size_t FLAT_BYTES = 3072;

__attribute__((noinline)) uintptr_t paint_below_here() {
  uintptr_t sp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0)) - 512;
  uintptr_t lo = sched::current()->stack.bottom();
  memset(reinterpret_cast<void*>(lo), PAINT, sp - lo);
  return sp;
}

size_t used_below(uintptr_t painted_top) {
  auto* p = reinterpret_cast<const uint8_t*>(sched::current()->stack.bottom());
  while (reinterpret_cast<uintptr_t>(p) < painted_top && *p == PAINT) p++;
  return painted_top - reinterpret_cast<uintptr_t>(p);
}

// A chain `depth` deep (as a user builds one through channel_write),
// owned by the returned endpoint.
RefPtr<Channel> build_chain(size_t depth) {
  RefPtr<Channel> top_a, top_b;
  if (Channel::create_pair(&top_a, &top_b).is_error()) return {};
  RefPtr<Channel> cur = top_a;
  for (size_t i = 0; i < depth; i++) {
    RefPtr<Channel> na, nb;
    if (Channel::create_pair(&na, &nb).is_error()) return {};
    auto m = Message::create(1, nullptr);
    if (m.is_error()) return {};
    m.value()->add_handle(MovedHandle{HandleRef(RefPtr<Object>(nb.get())), RIGHTS});
    if (cur->write(m.value()).is_error()) {
      Message::destroy(m.value());
      return {};
    }
    cur = na;  // drops the previous level's writing end
  }
  return top_b;
}

// A chain of another shape: each level's endpoint dies with its peer still
// held, by a handle in a message freed later in the same graveyard, so
// the peer's last reference is the graveyard's own (Channel::bury). Level
// k: Y_k holds [E, X_{k+1}], E holds [Y_{k+1}]; when Y_k dies, X_{k+1}
// dies and leaves Y_{k+1} to the graveyard. Returns Y_1.
bool carry(Channel& from, Channel& what) {
  auto m = Message::create(1, nullptr);
  if (m.is_error()) return false;
  m.value()->add_handle(MovedHandle{HandleRef(RefPtr<Object>(&what)), RIGHTS});
  Object* carried[] = {&what};
  if (from.write(m.value(), nullptr, nullptr, carried, 1).ok()) return true;
  Message::destroy(m.value());
  return false;
}

RefPtr<Channel> build_peer_chain(size_t depth) {
  RefPtr<Channel> x, top;
  if (Channel::create_pair(&x, &top).is_error()) return {};
  for (size_t k = 0; k < depth; k++) {
    RefPtr<Channel> e, f, nx, ny;
    if (Channel::create_pair(&e, &f).is_error() || Channel::create_pair(&nx, &ny).is_error())
      return {};
    // Each carried endpoint is empty when it travels (may_carry's rule).
    if (!carry(*x, *e) || !carry(*f, *ny) || !carry(*x, *nx)) return {};
    x = nx;
  }
  return top;
}

// Survivors that lose their last other holder one at a time: D_k <-> S_k,
// S_k holds [S_{k+1}], and Y (returned) holds D_n ... D_1, then S_1. When
// Y dies, every S_k but S_1 is still held (by the S before it) when the
// graveyard first looks at it; each S that dies frees the next one's only
// other holder. (A user fills Y past the queue limit through endpoints
// carried empty and filled after; here the kernel posts into it.)
bool post_carrying(Channel& into, Channel& what) {
  auto m = Message::create(1, nullptr);
  if (m.is_error()) return false;
  m.value()->add_handle(MovedHandle{HandleRef(RefPtr<Object>(&what)), RIGHTS});
  into.post(m.value());
  return true;
}

RefPtr<Channel> build_survivor_chain(size_t n) {
  RefPtr<Channel> x, y, next_s;  // next_s: S_{k+1}
  if (Channel::create_pair(&x, &y).is_error()) return {};
  for (size_t k = n; k > 0; k--) {
    RefPtr<Channel> d, s;
    if (Channel::create_pair(&d, &s).is_error()) return {};
    if (next_s && !post_carrying(*s, *next_s)) return {};
    if (!post_carrying(*y, *d)) return {};  // D_n first, D_1 last
    next_s = s;
  }
  if (!post_carrying(*y, *next_s)) return {};  // then S_1
  return y;
}

struct Depths {
  size_t audit, free;
  uint64_t audit_instructions, free_instructions;
};

// Audit the chain while a (never started) process's handle table owns it,
// then free it by dropping the last handle. Stack bytes used by each.
bool measure(size_t depth, Depths* d) {
  auto p = Process::create("chain-owner", 0);
  if (p.is_error()) return false;
  RefPtr<Process> owner = p.release_value();
  RefPtr<Channel> chain = build_chain(depth);
  if (!chain) return false;
  auto h = owner->handles().add(RefPtr<Object>(chain.get()), RIGHTS);
  if (h.is_error()) return false;
  chain.reset();
  process_table::add(owner);
  uintptr_t top = paint_below_here();
  uint64_t i0 = arch::r_instret();
  size_t orphans = audit::run();
  d->audit_instructions = arch::r_instret() - i0;
  d->audit = used_below(top);
  RefPtr<Process> registered = process_table::remove(*owner);
  registered.reset();
  top = paint_below_here();
  i0 = arch::r_instret();
  (void)owner->handles().close(h.value());  // the whole chain goes here
  d->free_instructions = arch::r_instret() - i0;
  d->free = used_below(top);
  return orphans == 0;
}
}  // namespace

KTEST("chain.audit_and_free_use_flat_stack") {
  // Stack bytes are counted from a point 512 bytes below the caller's frame.
  // They vary with the allocator paths a run happens to take and with
  // interrupts (FLAT_BYTES), never with the depth: one frame per level, as
  // the recursive audit had, would need 800 KB at depth 10,000 and overflow
  // the 16 KiB stack.
  Depths d10{}, d1000{}, d10000{};
  KT_ASSERT(measure(10, &d10));
  KT_ASSERT(measure(1000, &d1000));
  KT_ASSERT(measure(10000, &d10000));
  kprintf(
      "# stack used by the audit at depth 10 / 1,000 / 10,000: %zu / %zu / %zu bytes"
      " (10,000: %lu instructions)\n",
      d10.audit, d1000.audit, d10000.audit, d10000.audit_instructions);
  kprintf(
      "# stack used freeing the chain at depth 10 / 1,000 / 10,000: %zu / %zu / %zu bytes"
      " (10,000: %lu instructions)\n",
      d10.free, d1000.free, d10000.free, d10000.free_instructions);
  // Flat: a deeper chain costs heap and time, never stack.
  for (const Depths* d : {&d10, &d1000, &d10000})
    KT_EXPECT(d->audit < FLAT_BYTES && d->free < FLAT_BYTES);
}

KTEST("chain.freeing_peers_left_to_the_graveyard_uses_flat_stack") {
  // Dropping the graveyard's reference to such a peer used to start a new
  // graveyard one frame deeper per level: 80 levels overflowed the stack.
  size_t used[3];
  size_t depths[3] = {10, 1000, 5000};
  for (int i = 0; i < 3; i++) {
    RefPtr<Channel> top = build_peer_chain(depths[i]);
    KT_ASSERT(top);
    uintptr_t t = paint_below_here();
    top.reset();  // the whole chain goes here
    used[i] = used_below(t);
  }
  kprintf("# stack used freeing it at depth 10 / 1,000 / 5,000: %zu / %zu / %zu bytes\n", used[0],
          used[1], used[2]);
  for (size_t u : used) KT_EXPECT(u < FLAT_BYTES);
}

KTEST("chain.survivors_freed_one_by_one_cost_the_same_per_level") {
  // Looking at every survivor again whenever one might have lost its
  // holders scanned them all once per level: quadratic (5,000 levels took
  // 505 million instructions, 101,000 per level against 4,900 at 100).
  // Counted in graveyard steps, which are exact on any host.
  size_t levels[3] = {100, 1000, 4000};
  uint64_t per_level[3];
  for (int i = 0; i < 3; i++) {
    RefPtr<Channel> y = build_survivor_chain(levels[i]);
    KT_ASSERT(y);
    uint64_t s0 = Channel::graveyard_steps_for_test();
    y.reset();
    per_level[i] = (Channel::graveyard_steps_for_test() - s0) / levels[i];
  }
  kprintf("# graveyard steps per level at 100 / 1,000 / 4,000 levels: %lu / %lu / %lu\n",
          per_level[0], per_level[1], per_level[2]);
  KT_EXPECT(per_level[0] <= 8);
  KT_EXPECT_EQ(per_level[1], per_level[0]);
  KT_EXPECT_EQ(per_level[2], per_level[0]);
}
