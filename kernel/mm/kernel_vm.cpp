#include "kernel_vm.h"

#include <arch/memlayout.h>
#include <arch/page_table_memory.h>

#include "lib/panic.h"

namespace kernel_vm {
namespace {
arch::PageTable kernel_table;

void map_or_panic(uintptr_t va, uintptr_t pa, size_t size, uint32_t perms, bool huge = false) {
  auto r = kernel_table.map(va, pa, size, perms | arch::PERM_G, huge);
  if (r.is_error())
    panic("kernel_vm: map %#lx -> %#lx (%#lx bytes): %s", va, pa, size,
          keel_status_name(r.error()));
}

void map_image_range(const char* start, const char* end, uint32_t perms) {
  uintptr_t s = reinterpret_cast<uintptr_t>(start), e = reinterpret_cast<uintptr_t>(end);
  if (e > s) map_or_panic(s, arch::virt_to_phys(start), e - s, perms);
}

// Direct-map a physical range with 2 MiB pages where alignment allows.
void map_direct(uintptr_t start, uintptr_t end, uint32_t perms) {
  constexpr uintptr_t HUGE = 2ull << 20;
  start = arch::page_round_down(start);
  end = arch::page_round_up(end);
  uintptr_t a = start;
  while (a < end) {
    if ((a & (HUGE - 1)) == 0 && end - a >= HUGE) {
      map_or_panic(arch::DIRECT_MAP_BASE + a, a, HUGE, perms, true);
      a += HUGE;
    } else {
      map_or_panic(arch::DIRECT_MAP_BASE + a, a, arch::PAGE_SIZE, perms);
      a += arch::PAGE_SIZE;
    }
  }
}
}  // namespace

void init(const libk::PlatformInfo& plat) {
  using namespace arch;
  auto root = PageTable::create();
  if (root.is_error()) panic("kernel_vm: no frame for the root table");
  kernel_table = root.release_value();

  map_image_range(__kernel_start, __text_end, PERM_R | PERM_X);
  map_image_range(__text_end, __rodata_end, PERM_R);
  map_image_range(__rodata_end, __boot_stack_guard, PERM_R | PERM_W);
  // __boot_stack_guard .. __boot_stack_bottom stays unmapped: an overflow faults.
  map_image_range(__boot_stack_bottom, __kernel_end, PERM_R | PERM_W);

  // The direct map of RAM is R+W and never X; it must not give a writable
  // alias of anything that is not writable where it is really mapped. So
  // the kernel image's text and rodata (which holds the boot image, whose
  // pages user programs run from) are direct-mapped read-only, its data
  // read-write, and the firmware below the kernel not at all (PMP denies
  // the kernel any access to it anyway).
  uintptr_t image_start = virt_to_phys(__kernel_start);
  uintptr_t read_only_end = virt_to_phys(__rodata_end);
  uintptr_t image_end = virt_to_phys(__kernel_end);
  for (size_t i = 0; i < plat.memory_count; i++) {
    uintptr_t s = plat.memory[i].base, e = plat.memory[i].base + plat.memory[i].size;
    if (e <= image_start || s >= image_end) {
      map_direct(s, e, PERM_R | PERM_W);
      continue;
    }
    map_direct(image_start, read_only_end, PERM_R);
    map_direct(read_only_end, image_end, PERM_R | PERM_W);
    if (e > image_end) map_direct(image_end, e, PERM_R | PERM_W);
  }
  map_direct(plat.uart_base, plat.uart_base + (plat.uart_size ? plat.uart_size : PAGE_SIZE),
             PERM_R | PERM_W);
  if (plat.plic_base) map_direct(plat.plic_base, plat.plic_base + plat.plic_size, PERM_R | PERM_W);
  if (plat.test_base) map_direct(plat.test_base, plat.test_base + PAGE_SIZE, PERM_R | PERM_W);

  kernel_table.activate();
  arch::pt_memory::probe_asids();  // user tables get ASIDs: no TLB flush when switching between
                                   // them
}

arch::PageTable& page_table() { return kernel_table; }

}  // namespace kernel_vm
