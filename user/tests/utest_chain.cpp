// Chains of channels nested in queued messages, as deep as a user likes,
// are audited and freed with no kernel recursion over their depth.
//
// Two chains 10,000 deep are held live (one by this program, one by a
// child), the kernel's orphan audit runs over them (system_audit) and must
// find nothing, every counter is checked, then one is freed by closing its
// handle and the other by killing its holder: everything back to the
// baseline. Before the audit walked with an explicit work list, about 200
// levels overflowed its 16 KiB stack.
#include "common.h"

namespace {
constexpr uint64_t DEPTH = 10000;

keel_handle_t build(uint64_t depth) {
  keel_handle_t top_a, top_b;
  if (keel::channel_create(&top_a, &top_b) != KEEL_OK) return KEEL_HANDLE_INVALID;
  keel_handle_t cur = top_a;
  for (uint64_t i = 0; i < depth; i++) {
    keel_handle_t na, nb;
    if (keel::channel_create(&na, &nb) != KEEL_OK) return KEEL_HANDLE_INVALID;
    if (keel::channel_write(cur, "n", 1, &nb, 1) != KEEL_OK) return KEEL_HANDLE_INVALID;
    keel::handle_close(cur);
    cur = na;
  }
  keel::handle_close(cur);
  return top_b;
}

uint64_t instret() {
  uint64_t v;
  asm volatile("rdinstret %0" : "=r"(v));
  return v;
}
}  // namespace

int main(int, char**) {
  tap::plan(9);
  keel_handle_t dir = utest::dir();
  keel::KstatSnapshot base;
  tap::baseline(base);
  int64_t channels_before = utest::counter("channels_live");

  keel_handle_t mine = build(DEPTH);
  tap::ok(mine != KEEL_HANDLE_INVALID, "a chain %lu deep, held by this process", DEPTH);
  keel_handle_t ctl, child_end;
  keel::channel_create(&ctl, &child_end);
  keel_handle_t child = utest::start("chain", "10000", child_end);
  char buf[8];
  size_t n = 0;
  tap::ok(keel::read_message(ctl, buf, sizeof(buf), &n, nullptr, 0, nullptr, keel::PATIENCE_MS) ==
              KEEL_OK,
          "a child holds another chain %lu deep", DEPTH);
  int64_t live = utest::counter("channels_live") - channels_before;
  tap::ok(live >= static_cast<int64_t>(2 * DEPTH), "%ld channels live", live);

  uint64_t t0 = keel::clock_ms(), i0 = instret();
  int64_t orphans = keel::system_audit(dir);
  uint64_t i1 = instret(), t1 = keel::clock_ms();
  tap::ok(orphans == 0, "the kernel audits both live chains: %ld orphans", orphans);
  tap::diag("audit over %ld live channels: %lu ms, %lu instructions (exact under -icount)", live,
            t1 - t0, i1 - i0);

  t0 = keel::clock_ms();
  i0 = instret();
  tap::expect_status(keel::handle_close(mine), KEEL_OK, "close the handle that owns our chain");
  i1 = instret();
  t1 = keel::clock_ms();
  tap::diag("freeing a chain %lu deep: %lu ms, %lu instructions", DEPTH, t1 - t0, i1 - i0);
  tap::ok(utest::reap(child) == KEEL_EXIT_KILLED, "kill the child holding the other chain");
  keel::handle_close(ctl);
  tap::ok(keel::system_audit(dir) == 0, "the audit finds nothing after both are gone");
  tap::expect_status(keel::system_audit(KEEL_HANDLE_INVALID), ERR_BAD_HANDLE,
                     "system_audit needs the process directory");
  tap::at_baseline(base, "two chains 10,000 deep, audited live, then freed");
  return tap::done();
}
