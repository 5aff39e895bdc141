// chain N: builds a chain N deep of channels nested in queued messages
// (legal under the carrying rules: only empty endpoints are carried, each
// filled through its peer afterwards), keeps the top of it, tells its
// parent "ready" on its startup channel (if any), then blocks reading that
// channel until killed or the parent closes it. The kernel must audit and
// free such a chain with no recursion over its depth.
#include "keel.h"

namespace {
// Builds the chain; the handle that owns it, or KEEL_HANDLE_INVALID.
keel_handle_t build(uint64_t depth) {
  keel_handle_t top_a, top_b;
  if (keel::channel_create(&top_a, &top_b) != KEEL_OK) return KEEL_HANDLE_INVALID;
  keel_handle_t cur = top_a;
  for (uint64_t i = 0; i < depth; i++) {
    keel_handle_t na, nb;
    if (keel::channel_create(&na, &nb) != KEEL_OK) break;
    if (keel::channel_write(cur, "n", 1, &nb, 1) != KEEL_OK) break;  // nb now queued below
    keel::handle_close(cur);
    cur = na;  // the next level is written through nb's peer
  }
  keel::handle_close(cur);
  return top_b;
}
}  // namespace

int main(int argc, char** argv) {
  uint64_t depth = 0;
  for (const char* s = argc > 1 ? argv[1] : "10000"; *s >= '0' && *s <= '9'; s++)
    depth = depth * 10 + static_cast<uint64_t>(*s - '0');
  keel_handle_t chain = build(depth);
  if (chain == KEEL_HANDLE_INVALID) return 1;
  keel_handle_t ctl = keel::startup_handle(0);
  if (ctl == KEEL_HANDLE_INVALID) return 0;
  keel::channel_write(ctl, "ready", 5);
  char buf[8];
  size_t got;
  keel::read_message(ctl, buf, sizeof(buf), &got);  // until killed or closed
  return 0;
}
