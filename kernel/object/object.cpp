#include "object.h"

namespace {
uint64_t next_koid = 1;
}

Object::Object(ObjectType type)
    : koid_(__atomic_fetch_add(&next_koid, 1, __ATOMIC_RELAXED)), type_(type) {}
