// Slab caches and kmalloc: live counts return to zero, frames come back,
// bad frees are refused.
#include "mm/slab.h"

#include <arch/memlayout.h>
#include <libk/slab.h>

#include "ktest/ktest.h"
#include "mm/heap_stats.h"
#include "mm/kmalloc.h"
#include "mm/kstat.h"
#include "mm/pmm.h"
#include "sched/task.h"

namespace {
struct Widget {
  uint64_t a, b, c;
  Widget(uint64_t x) : a(x), b(x * 2), c(x * 3) {}
};
TypedCache<Widget> widgets("test_widget");
SlabCache big_objects("test_big", 1500);
}  // namespace

KTEST("slab.counts_return_to_zero") {
  size_t frames = pmm::frames_free();
  constexpr size_t N = 2000;
  static Widget* objs[N];
  for (size_t i = 0; i < N; i++) {
    objs[i] = KT_TRY(widgets.create(i));
  }
  KT_EXPECT_EQ(widgets.live(), N);
  KT_EXPECT(widgets.slab_count() >= N / ((arch::PAGE_SIZE - 128) / 32));
  int64_t v = 0;
  KT_EXPECT(kstat::get("objects_test_widget", &v));
  KT_EXPECT_EQ(v, static_cast<int64_t>(N));
  bool intact = true;
  for (size_t i = 0; i < N; i++) intact &= objs[i]->c == i * 3;
  KT_EXPECT(intact);
  // Free in an interleaved order so slabs go full -> partial -> empty.
  for (size_t i = 0; i < N; i += 2) widgets.destroy(objs[i]);
  for (size_t i = 1; i < N; i += 2) widgets.destroy(objs[i]);
  KT_EXPECT_EQ(widgets.live(), 0u);
  KT_EXPECT_EQ(widgets.slab_count(), 0u);
  KT_EXPECT_EQ(pmm::frames_free(), frames);
}

KTEST("slab.multi_frame_slabs_for_big_objects") {
  void* a = KT_TRY(big_objects.alloc());
  KT_EXPECT(big_objects.slab_frames() > 1);  // 1500-byte objects use order >= 2 slabs
  KT_EXPECT(SlabCache::cache_of(a) == &big_objects);
  // Every frame of the block leads to the same slab, from the records.
  KT_EXPECT(SlabCache::cache_of(static_cast<char*>(a) + 1400) == &big_objects);
  big_objects.free(a);
}

KTEST("slab.double_and_foreign_free_refused") {
  // Each of these frees would panic; free_refusal says why without it.
  void* a = KT_TRY(widgets.alloc());
  void* b = KT_TRY(widgets.alloc());
  KT_EXPECT(big_objects.free_refusal(a) != nullptr);                            // wrong cache
  KT_EXPECT(widgets.free_refusal(static_cast<char*>(a) + 8) != nullptr);        // interior
  KT_EXPECT(widgets.free_refusal(reinterpret_cast<void*>(0x1000)) != nullptr);  // not a slab
  KT_EXPECT(widgets.free_refusal(a) == nullptr);
  widgets.free(a);
  KT_EXPECT(widgets.free_refusal(a) != nullptr);  // double free
  KT_EXPECT_EQ(widgets.live(), 1u);
  widgets.free(b);
  KT_EXPECT_EQ(widgets.live(), 0u);
}

// Object contents never decide what a block is: fill live objects with
// forged slab headers (the header magic, this very cache's address, list
// pointers into it) at every 8-byte offset, and every lookup and free still
// goes by the frame records.
KTEST("slab.forged_headers_inside_objects_are_just_bytes") {
  constexpr size_t N = 40;  // several slabs' worth of 2 KiB objects
  void* objs[N];
  for (size_t i = 0; i < N; i++) objs[i] = KT_TRY(kmalloc(2048));
  SlabCache* real = SlabCache::cache_of(objs[0]);
  KT_ASSERT(real != nullptr);
  for (size_t i = 0; i < N; i++) {
    auto* w = static_cast<uint64_t*>(objs[i]);
    for (size_t k = 0; k < 2048 / 8; k += 2) {
      w[k] = libk::Slab::kMagic | (uint64_t{1} << 32);
      w[k + 1] = reinterpret_cast<uint64_t>(i % 2 ? real : &widgets);
    }
  }
  bool same = true;
  for (size_t i = 0; i < N; i++) {
    same &= SlabCache::cache_of(objs[i]) == real;
    same &= SlabCache::cache_of(static_cast<char*>(objs[i]) + 2040) == real;
    same &= kfree_refusal(objs[i]) == nullptr;
  }
  KT_EXPECT(same);
  for (size_t i = 0; i < N; i++) kfree(objs[i]);
  for (size_t i = 0; i < N; i++) same &= kfree_refusal(objs[i]) != nullptr;
  KT_EXPECT(same);
}

KTEST("kmalloc.sizes_and_accounting") {
  size_t heap = heap_stats::bytes_used();
  size_t sizes[] = {1, 16, 17, 100, 512, 2048, 2049, 4096, 10000, 1 << 20};
  void* ptrs[sizeof(sizes) / sizeof(sizes[0])];
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    ptrs[i] = KT_TRY(kmalloc(sizes[i]));
    auto* bytes = static_cast<unsigned char*>(ptrs[i]);
    bool zero = true;
    for (size_t k = 0; k < sizes[i]; k++) zero &= bytes[k] == 0;
    KT_EXPECT(zero);
    for (size_t k = 0; k < sizes[i]; k++) bytes[k] = 0xa5;
  }
  KT_EXPECT(heap_stats::bytes_used() > heap);
  for (void* p : ptrs) kfree(p);
  KT_EXPECT_EQ(heap_stats::bytes_used(), heap);
  KT_EXPECT_EQ(kmalloc(0).error(), ERR_INVALID_ARGS);
  KT_EXPECT_EQ(kmalloc(size_t{1} << 40).error(), ERR_NO_MEMORY);
}

KTEST("kmalloc.bad_free_refused") {
  void* small = KT_TRY(kmalloc(40));
  void* large = KT_TRY(kmalloc(8192));
  KT_EXPECT(kfree_refusal(static_cast<char*>(small) + 1) != nullptr);
  KT_EXPECT(kfree_refusal(static_cast<char*>(large) + arch::PAGE_SIZE) != nullptr);
  KT_EXPECT(kfree_refusal(nullptr) != nullptr);
  void* w = KT_TRY(widgets.alloc());
  KT_EXPECT(kfree_refusal(w) != nullptr);  // a typed object is not kmalloc's
  widgets.free(w);
  KT_EXPECT(kfree_refusal(small) == nullptr && kfree_refusal(large) == nullptr);
  kfree(small);
  kfree(large);
  KT_EXPECT(kfree_refusal(small) != nullptr);
  KT_EXPECT(kfree_refusal(large) != nullptr);
}

// Not in the kernel suite's globs: kernel-bad-free boots with
// test=badfree.* and requires the panic naming the address.
KTEST("badfree.double_kfree_panics") {
  void* p = KT_TRY(kmalloc(64));
  kfree(p);
  kprintf("# badfree: kfree(%p) a second time\n", p);
  kfree(p);
  KT_EXPECT(false);  // unreachable
}

// Seen to fail: this test leaks one object on purpose and is only run when
// asked for by name (test=leakdemo.*); the suite checks that it is reported.
KTEST("leakdemo.slab_object_leaked") { (void)widgets.alloc(); }

KTEST("leakdemo.task_reference_leaked") {
  auto t = Task::create(
      "leaked", [](void*) { return 0; }, nullptr);
  if (t.ok()) (void)t.release_value().leak_ref();  // never adopted back: leaked on purpose
}
