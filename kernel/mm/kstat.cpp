#include "kstat.h"

#include <libk/atomic.h>
#include <libk/format.h>
#include <libk/string.h>

#include "lib/kprintf.h"
#include "mm/heap_stats.h"
#include "mm/kstack.h"
#include "mm/pmm.h"
#include "mm/slab.h"

namespace kstat {
namespace {
libk::Atomic<int64_t> counters[static_cast<unsigned>(Counter::count_)];
bool test_caches_shown = false;  // set at boot, before other harts run
const char* const counter_names[] = {"tasks_live",    "processes_live", "handles_live",
                                     "channels_live", "messages_live",  "harts_online"};
static_assert(sizeof(counter_names) / sizeof(counter_names[0]) ==
              static_cast<unsigned>(Counter::count_));

void put(Snapshot& s, const char* prefix, const char* name, int64_t v) {
  if (s.count == Snapshot::MAX) return;
  Entry& e = s.entries[s.count++];
  libk::format(e.name, sizeof(e.name), "%s%s", prefix, name);
  e.value = v;
}
}  // namespace

void add(Counter c, int64_t delta) {
  counters[static_cast<unsigned>(c)].fetch_add(delta, libk::MemoryOrder::Relaxed);
}

void snapshot(Snapshot& s) {
  s.count = 0;
  put(s, "", "frames_total", static_cast<int64_t>(pmm::frames_total()));
  put(s, "", "frames_free", static_cast<int64_t>(pmm::frames_free()));
  for (unsigned i = 0; i < static_cast<unsigned>(Counter::count_); i++)
    put(s, "", counter_names[i], counters[i].load(libk::MemoryOrder::Relaxed));
  put(s, "", "heap_bytes_used", static_cast<int64_t>(heap_stats::bytes_used()));
  put(s, "", "slab_frames", static_cast<int64_t>(heap_stats::slab_frames()));
  put(s, "", "task_stack_frames", static_cast<int64_t>(kstack::frames_in_use()));
  for (SlabCache* c = SlabCache::first(); c; c = c->next())
    if (test_caches_shown || !libk::starts_with(c->name(), "test_"))
      put(s, "objects_", c->name(), static_cast<int64_t>(c->live()));
}

size_t for_each_drift(const Snapshot& base, const Snapshot& now,
                      void (*fn)(void*, const char*, int64_t, int64_t), void* ctx) {
  size_t drifted = 0;
  for (size_t i = 0; i < now.count; i++) {
    int64_t before = 0;
    for (size_t j = 0; j < base.count; j++)
      if (libk::str_eq(base.entries[j].name, now.entries[i].name)) before = base.entries[j].value;
    if (now.entries[i].value == before) continue;
    drifted++;
    fn(ctx, now.entries[i].name, before, now.entries[i].value);
  }
  return drifted;
}

bool get(const char* name, int64_t* value) {
  Snapshot s;
  snapshot(s);
  for (size_t i = 0; i < s.count; i++) {
    if (libk::str_eq(s.entries[i].name, name)) {
      *value = s.entries[i].value;
      return true;
    }
  }
  return false;
}

void show_test_caches() { test_caches_shown = true; }

void print() {
  Snapshot s;
  snapshot(s);
  for (size_t i = 0; i < s.count; i++) kprintf("%s %ld\n", s.entries[i].name, s.entries[i].value);
}

}  // namespace kstat
