#include "payload.h"

#include <arch/memlayout.h>
#include <keel/syscall.h>

#include "lib/panic.h"
#include "mm/pmm.h"
#include "mm/slab.h"

namespace payload {
namespace {
SlabCache classes[] = {
    {"payload_256", 256, 16, false},
    {"payload_512", 512, 16, false},
    {"payload_1024", 1024, 16, false},
    {"payload_2048", 2048, 16, false},
};
static_assert(KEEL_CHANNEL_MAX_BYTES <= arch::PAGE_SIZE, "a payload above 2 KiB is one frame");

SlabCache* class_for(size_t n) {
  for (SlabCache& c : classes)
    if (n <= c.object_size()) return &c;
  return nullptr;  // a whole frame
}
}  // namespace

libk::Result<uint8_t*> alloc(size_t n) {
  if (n == 0 || n > KEEL_CHANNEL_MAX_BYTES) return libk::err(ERR_INVALID_ARGS);
  if (SlabCache* c = class_for(n)) return static_cast<uint8_t*>(TRY(c->alloc()));
  uintptr_t pa = TRY(pmm::alloc(0, pmm::FrameUse::Payload));
  return arch::phys_to_virt<uint8_t>(pa);
}

size_t block_size(size_t n) {
  SlabCache* c = class_for(n);
  return c ? c->object_size() : arch::PAGE_SIZE;
}

void free(uint8_t* p, size_t n) {
  if (SlabCache* c = class_for(n)) return c->free(p);
  pmm::free(arch::virt_to_phys(p), 0, pmm::FrameUse::Payload);
}

void for_each_live(void (*fn)(void*, void*, size_t), void* ctx) {
  struct Visit {
    void (*fn)(void*, void*, size_t);
    void* ctx;
  } v{fn, ctx};
  for (SlabCache& c : classes)
    c.for_each_live(
        [](void* vv, SlabCache& cache, void* obj) {
          static_cast<Visit*>(vv)->fn(static_cast<Visit*>(vv)->ctx, obj, cache.object_size());
        },
        &v);
  pmm::for_each_allocated(
      [](void* vv, uintptr_t pa, unsigned, pmm::FrameUse use) {
        auto* w = static_cast<Visit*>(vv);
        if (use == pmm::FrameUse::Payload) w->fn(w->ctx, arch::phys_to_virt(pa), arch::PAGE_SIZE);
      },
      &v);
}

}  // namespace payload
