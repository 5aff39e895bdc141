// kstat: the kernel's exact live counts, part of the ABI. One line per
// counter, "<name> <integer>". Tests snapshot them before a workload and
// require them equal afterwards.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace kstat {

// Counters owned by subsystems that have no other natural home for them.
enum class Counter : unsigned {
  tasks_live,
  processes_live,
  handles_live,
  channels_live,
  messages_live,
  harts_online,  // harts running the scheduler (constant once booted)
  count_,
};
void add(Counter c, int64_t delta);

struct Entry {
  char name[40];
  int64_t value;
};
struct Snapshot {
  static constexpr size_t MAX = 64;
  Entry entries[MAX];
  size_t count;
};

void snapshot(Snapshot& out);
// Call fn(name, before, now) for every counter of `now` whose value differs
// from the same counter in `base` (0 if base lacks it). Returns how many.
size_t for_each_drift(const Snapshot& base, const Snapshot& now,
                      void (*fn)(void* ctx, const char* name, int64_t before, int64_t now),
                      void* ctx);
// Value of one counter by name; false if there is none.
bool get(const char* name, int64_t* value);
// Print "name value" lines through kprintf.
void print();
// Kernel tests' own caches (named test_*) appear only once this is called,
// at boot, by a kernel booted to run its tests: a normal boot's kstat lists
// only what the system itself uses.
void show_test_caches();

}  // namespace kstat
