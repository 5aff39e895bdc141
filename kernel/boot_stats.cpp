#include "boot_stats.h"

#include <arch/csr.h>
#include <arch/timer.h>
#include <libk/atomic.h>

#include "bootargs.h"
#include "lib/kprintf.h"

namespace boot_stats {
namespace {
uint64_t entry_instret = 0;
bool exact_counts = false;
libk::Atomic<uint32_t> first_read_seen;
}  // namespace

void note_entry() { entry_instret = arch::r_instret(); }

void init_from_bootargs() {
  char v[8];
  exact_counts = bootargs::get_or_stop("icount", v, sizeof(v)) && v[0] == 'o' && v[1] == 'n';
}

bool exact() { return exact_counts; }

uint64_t instructions_since_entry() { return arch::r_instret() - entry_instret; }

void note_first_console_read() {
  if (first_read_seen.load(libk::MemoryOrder::Relaxed) ||
      first_read_seen.exchange(1, libk::MemoryOrder::AcqRel))
    return;
  if (exact_counts)
    kprintf("bench boot_to_prompt instructions=%lu ns=%lu\n", instructions_since_entry(),
            timer::now() * (1000000000 / timer::timebase_hz()));
}
}  // namespace boot_stats
