// Host tests of arch::PageTable (kernel/arch/riscv64/page_table.cpp, built
// natively): the Sv39 logic against a fake page-table memory that can be
// told to run out after N tables. The property under test is the one the
// kernel relies on: map() either maps everything or changes nothing, with
// no table frame left behind, at every possible failure point.
#include <arch/page_table.h>
#include <arch/page_table_memory.h>
#include <doctest/doctest.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <map>
#include <set>
#include <vector>

using arch::PageTable;

namespace {
// "Physical" table pages: keys are fake physical addresses.
struct FakeMemory {
  std::map<uintptr_t, uint64_t*> pages;
  uintptr_t next_pa = 0x80000000;
  long fail_after = -1;  // alloc_table fails when this reaches 0
  size_t allocs = 0, frees = 0, flushes = 0;

  void reset() {
    for (auto& [pa, mem] : pages) free(mem);
    pages.clear();
    fail_after = -1;
    allocs = frees = flushes = 0;
  }
};
FakeMemory mem;
}  // namespace

namespace arch::pt_memory {
libk::Result<uintptr_t> alloc_table() {
  if (mem.fail_after == 0) return libk::err(ERR_NO_MEMORY);
  if (mem.fail_after > 0) mem.fail_after--;
  auto* page = static_cast<uint64_t*>(calloc(512, 8));
  uintptr_t pa = mem.next_pa;
  mem.next_pa += 4096;
  mem.pages[pa] = page;
  mem.allocs++;
  return pa;
}
void free_table(uintptr_t pa) {
  auto it = mem.pages.find(pa);
  REQUIRE(it != mem.pages.end());
  free(it->second);
  mem.pages.erase(it);
  mem.frees++;
}
uint64_t* table(uintptr_t pa) {
  auto it = mem.pages.find(pa);
  REQUIRE(it != mem.pages.end());
  return it->second;
}
void flush_tlb(uint64_t, uintptr_t, size_t) { mem.flushes++; }
void load_root(uint64_t) {}
uint16_t alloc_asid() { return 0; }
void free_asid(uint16_t) {}
}  // namespace arch::pt_memory

namespace {
using arch::PERM_R;
using arch::PERM_U;
using arch::PERM_W;
using arch::PERM_X;

}  // namespace

TEST_CASE("page table: map, translate, unmap, destroy frees every table") {
  mem.reset();
  {
    PageTable pt = PageTable::create().release_value();
    REQUIRE(pt.map(0x400000, 0x90000000, 3 * 4096, PERM_R | PERM_W | PERM_U).ok());
    uintptr_t pa;
    uint32_t perms;
    REQUIRE(pt.translate(0x401123, &pa, &perms));
    CHECK(pa == 0x90001123);
    CHECK(perms == (PERM_R | PERM_W | PERM_U));
    CHECK(pt.table_frames() == 3);
    CHECK(pt.map(0x402000, 0x90000000, 4096, PERM_R).error() == ERR_ALREADY_EXISTS);
    CHECK(pt.map(0x500000, 0x90000000, 4096, PERM_R | PERM_W | PERM_X).error() == ERR_INVALID_ARGS);
    pt.unmap(0x400000, 3 * 4096);
    CHECK(!pt.translate(0x400000, nullptr));
    size_t tables = 0;
    pt.for_each_table([](void* n, uintptr_t) { ++*static_cast<size_t*>(n); }, &tables);
    CHECK(tables == pt.table_frames());
    pt.destroy();
  }
  CHECK(mem.allocs == mem.frees);
  CHECK(mem.pages.empty());
}

// A mapping that needs several new tables (crossing 2 MiB and 1 GiB
// boundaries, next to existing mappings): fail the Nth table allocation for
// every N; each failure must leave the table exactly as it was.
TEST_CASE("page table: a failed map rolls back at every failure point") {
  struct Case {
    uintptr_t va;
    size_t size;
    bool huge;
  };
  const Case cases[] = {
      {0x3fe00000, 0x600000, false},   // crosses the 1 GiB boundary at 0x40000000
      {0x201000, 0x402000, false},     // three 2 MiB chunks, the first shared with a mapping
      {0x7fc00000, 0x80400000, true},  // huge pages across several 1 GiB entries
  };
  for (const Case& c : cases) {
    CAPTURE(c.va);
    for (long n = 0;; n++) {
      CAPTURE(n);
      mem.reset();
      PageTable pt = PageTable::create().release_value();
      // Something already there, sharing some of the tables the case needs.
      REQUIRE(pt.map(0x200000, 0xa0000000, 4096, PERM_R).ok());
      REQUIRE(pt.map(0x40605000, 0xa0001000, 4096, PERM_R).ok());
      size_t tables_before = pt.table_frames();
      size_t live_before = mem.pages.size();
      mem.fail_after = n;
      auto r = pt.map(c.va, 0xb0000000, c.size, PERM_R | PERM_W, c.huge);
      mem.fail_after = -1;
      if (r.ok()) {
        // Mapped whole: every page translates to its frame.
        bool all = true;
        size_t step = c.huge ? 0x200000 : 4096;
        for (uintptr_t a = c.va; a < c.va + c.size; a += step) {
          uintptr_t pa;
          all &= pt.translate(a, &pa) && pa == 0xb0000000 + (a - c.va);
        }
        CHECK(all);
        pt.destroy();
        CHECK(mem.pages.empty());
        break;  // n was past the last allocation the map makes
      }
      CHECK(r.error() == ERR_NO_MEMORY);
      CHECK(pt.table_frames() == tables_before);
      CHECK(mem.pages.size() == live_before);  // no table frame left behind
      bool none = true;
      size_t step = c.huge ? 0x200000 : 4096;
      for (uintptr_t a = c.va; a < c.va + c.size; a += step) none &= !pt.translate(a, nullptr);
      CHECK(none);
      uintptr_t pa;
      CHECK((pt.translate(0x200000, &pa) && pa == 0xa0000000));
      CHECK((pt.translate(0x40605000, &pa) && pa == 0xa0001000));
      pt.destroy();
      CHECK(mem.pages.empty());
      REQUIRE(n < 64);
    }
  }
}

TEST_CASE("page table: an overlapping map changes nothing and allocates nothing") {
  mem.reset();
  PageTable pt = PageTable::create().release_value();
  REQUIRE(pt.map(0x403000, 0x90000000, 4096, PERM_R).ok());
  size_t allocs = mem.allocs;
  // Four pages where the fourth is taken, in a fresh 1 GiB region too.
  CHECK(pt.map(0x400000, 0x91000000, 4 * 4096, PERM_R).error() == ERR_ALREADY_EXISTS);
  CHECK(mem.allocs == allocs);
  for (uintptr_t va = 0x400000; va < 0x403000; va += 4096) CHECK(!pt.translate(va, nullptr));
  // A huge page over a 4 KiB mapping, and a 4 KiB page under a huge one.
  CHECK(pt.map(0x400000, 0x92000000, 0x200000, PERM_R, true).error() == ERR_ALREADY_EXISTS);
  REQUIRE(pt.map(0x80000000, 0x92000000, 0x200000, PERM_R, true).ok());
  CHECK(pt.map(0x80001000, 0x93000000, 4096, PERM_R).error() == ERR_ALREADY_EXISTS);
  CHECK(pt.map(0, 0, 0, PERM_R).error() == ERR_INVALID_ARGS);  // empty
  pt.destroy();
  CHECK(mem.pages.empty());
}
