// The few C++ runtime hooks a freestanding kernel needs.
#include <stddef.h>

#include "panic.h"

// The kernel never exits, so static destructors are never run.
extern "C" int atexit(void (*)()) { return 0; }

extern "C" void __cxa_pure_virtual() { panic("pure virtual function called"); }

// Objects are never deleted through operator delete: they go back to their
// slab cache (Object::destroy). Reaching one of these is a bug.
void operator delete(void*) noexcept { panic("operator delete called"); }
void operator delete(void*, size_t) noexcept { panic("operator delete called"); }
