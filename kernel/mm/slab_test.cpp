// Slab caches and kmalloc: live counts return to zero, frames come back,
// bad frees are refused.
#include "arch/riscv64/memlayout.h"
#include "kstat.h"
#include "ktest/ktest.h"
#include "mm/heap_stats.h"
#include "mm/kmalloc.h"
#include "mm/pmm.h"
#include "mm/slab.h"
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
  KT_EXPECT(big_objects.free(a).ok());
}

KTEST("slab.double_and_foreign_free_refused") {
  void* a = KT_TRY(widgets.alloc());
  void* b = KT_TRY(widgets.alloc());
  KT_EXPECT_EQ(big_objects.free(a).error(), ERR_INVALID_ARGS);  // wrong cache
  KT_EXPECT_EQ(widgets.free(static_cast<char*>(a) + 8).error(), ERR_INVALID_ARGS);  // interior
  KT_EXPECT_EQ(widgets.free(reinterpret_cast<void*>(0x1000)).error(), ERR_INVALID_ARGS);
  KT_EXPECT(widgets.free(a).ok());
  KT_EXPECT_EQ(widgets.free(a).error(), ERR_INVALID_ARGS);  // double free
  KT_EXPECT_EQ(widgets.live(), 1u);
  KT_EXPECT(widgets.free(b).ok());
  KT_EXPECT_EQ(widgets.live(), 0u);
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
  for (void* p : ptrs) KT_EXPECT(kfree(p).ok());
  KT_EXPECT_EQ(heap_stats::bytes_used(), heap);
  KT_EXPECT_EQ(kmalloc(0).error(), ERR_INVALID_ARGS);
  KT_EXPECT_EQ(kmalloc(size_t{1} << 40).error(), ERR_NO_MEMORY);
}

KTEST("kmalloc.bad_free_refused") {
  void* small = KT_TRY(kmalloc(40));
  void* large = KT_TRY(kmalloc(8192));
  KT_EXPECT_EQ(kfree(static_cast<char*>(small) + 1).error(), ERR_INVALID_ARGS);
  KT_EXPECT_EQ(kfree(static_cast<char*>(large) + arch::PAGE_SIZE).error(), ERR_INVALID_ARGS);
  KT_EXPECT_EQ(kfree(nullptr).error(), ERR_INVALID_ARGS);
  void* w = KT_TRY(widgets.alloc());
  KT_EXPECT_EQ(kfree(w).error(), ERR_INVALID_ARGS);  // a typed object is not kmalloc's
  KT_EXPECT(widgets.free(w).ok());
  KT_EXPECT(kfree(small).ok());
  KT_EXPECT(kfree(large).ok());
  KT_EXPECT_EQ(kfree(small).error(), ERR_INVALID_ARGS);
  KT_EXPECT_EQ(kfree(large).error(), ERR_INVALID_ARGS);
}

// Seen to fail: this test leaks one object on purpose and is only run when
// asked for by name (test=leakdemo.*); the suite checks that it is reported.
KTEST("leakdemo.slab_object_leaked") {
  (void)widgets.alloc();
}

KTEST("leakdemo.task_reference_leaked") {
  auto t = Task::create("leaked", [](void*) { return 0; }, nullptr);
  if (t.ok()) (void)t.release_value().leak_ref();  // never adopted back: leaked on purpose
}
