// RefPtr<T>: the kernel's spelling of libk::RefPtr, the only way to hold a
// counted reference (to a Task, a Process, a Channel, ...).
#pragma once
#include <libk/refptr.h>

template <typename T>
using RefPtr = libk::RefPtr<T>;
