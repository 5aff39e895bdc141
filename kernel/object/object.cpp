#include "object.h"

#include <libk/atomic.h>

namespace {
libk::Atomic<uint64_t> next_koid{1};
}

uint64_t new_koid() { return next_koid.fetch_add(1, libk::MemoryOrder::Relaxed); }

Object::Object(ObjectType type) : koid_(new_koid()), type_(type) {}
