#include "object.h"

#include <libk/atomic.h>

namespace {
libk::Atomic<uint64_t> next_koid{1};
}

Object::Object(ObjectType type)
    : koid_(next_koid.fetch_add(1, libk::MemoryOrder::Relaxed)), type_(type) {}
