#include "loader.h"

#include <arch/memlayout.h>
#include <arch/page_table.h>
#include <libk/elf.h>
#include <libk/string.h>

#include "lib/panic.h"

extern "C" const uint8_t bootimage_start[], bootimage_end[];

namespace loader {
namespace {
libk::BootImage* boot_image;
alignas(libk::BootImage) uint8_t boot_image_storage[sizeof(libk::BootImage)];

constexpr uintptr_t STACK_TOP = arch::USER_END - 0x10000;  // a gap above stays unmapped
constexpr size_t STACK_SIZE = 64 * 1024;

uint32_t arch_perms(uint32_t elf) {
  uint32_t p = 0;
  if (elf & libk::ELF_R) p |= arch::PERM_R;
  if (elf & libk::ELF_W) p |= arch::PERM_W;
  if (elf & libk::ELF_X) p |= arch::PERM_X;
  return p;
}
}  // namespace

void init() {
  auto img = libk::BootImage::parse(bootimage_start, bootimage_end - bootimage_start);
  if (img.is_error()) panic("boot image is corrupt: %s", keel_status_name(img.error()));
  boot_image = new (boot_image_storage) libk::BootImage(img.release_value());
}

const libk::BootImage* image() { return boot_image; }

libk::Result<RefPtr<Process>> load(const char* name, uint64_t parent_pid, size_t num_handles,
                                   Job& job, HandleTable::Reservation* slots) {
  KASSERT(num_handles == 0 || slots);
  if (!boot_image) return libk::err(ERR_NOT_FOUND);
  libk::BootFile file = TRY(boot_image->find(name));
  libk::ElfImage elf =
      TRY(libk::parse_elf(file.data, file.size, arch::USER_BASE, STACK_TOP - STACK_SIZE));
  RefPtr<Process> p = TRY(Process::create(name, parent_pid, job));
  // Released before p if anything below fails (declared after it).
  HandleTable::Reservation reserved = TRY(p->handles().reserve(num_handles));
  AddressSpace& as = p->address_space();
  for (size_t i = 0; i < elf.segment_count; i++) {
    const libk::ElfSegment& s = elf.segments[i];
    uintptr_t start = arch::page_round_down(s.vaddr);
    uintptr_t end = arch::page_round_up(s.vaddr + s.memsz);
    size_t lead = s.vaddr - start;  // same page offset in the file (checked by parse_elf)
    const uint8_t* src = file.data + s.offset - lead;
    // A read-only segment with no zero-filled tail is mapped straight from
    // the boot image (page aligned inside the kernel image): no copy, no
    // frames. Everything else gets fresh frames.
    bool borrow = !(s.perms & libk::ELF_W) && s.filesz == s.memsz &&
                  (reinterpret_cast<uintptr_t>(src) & (arch::PAGE_SIZE - 1)) == 0;
    if (borrow)
      TRY(as.map_borrowed(start, arch::virt_to_phys(src), end - start, arch_perms(s.perms)));
    else
      TRY(as.map_copy(start, end - start, arch_perms(s.perms), src, lead + s.filesz));
  }
  TRY(as.allocate(STACK_SIZE, arch::PERM_R | arch::PERM_W, STACK_TOP - STACK_SIZE));
  RefPtr<Task> task = TRY(Task::create(name, user_task_entry, nullptr, /*user=*/true));
  task->user_pc = elf.entry;
  p->adopt_task(task);
  if (slots) *slots = std::move(reserved);
  return p;
}

libk::Result<void> set_start(Process& p, const char* args, size_t args_len, uint32_t argc,
                             const keel_handle_t* handles, size_t num_handles) {
  // Stack, from the top: handle values, argument strings, argv[argc+1].
  AddressSpace& as = p.address_space();
  uintptr_t sp = STACK_TOP;
  sp -= num_handles * sizeof(keel_handle_t);
  sp &= ~uintptr_t{15};
  uintptr_t handles_va = sp;
  TRY(as.write(handles_va, handles, num_handles * sizeof(keel_handle_t)));
  sp -= args_len;
  sp &= ~uintptr_t{15};
  uintptr_t strings_va = sp;
  TRY(as.write(strings_va, args, args_len));
  sp -= (argc + 1) * sizeof(uint64_t);
  sp &= ~uintptr_t{15};
  uintptr_t argv_va = sp;
  size_t off = 0;
  for (uint32_t i = 0; i < argc; i++) {
    uint64_t ptr = strings_va + off;
    TRY(as.write(argv_va + i * 8, &ptr, 8));
    off += strlen(args + off) + 1;
  }
  uint64_t null = 0;
  TRY(as.write(argv_va + argc * 8, &null, 8));
  p.for_each_task([&](Task& t) {
    t.user_sp = sp;
    t.user_args[0] = argc;
    t.user_args[1] = argv_va;
    t.user_args[2] = handles_va;
    t.user_args[3] = num_handles;
  });
  return libk::ok();
}

}  // namespace loader
