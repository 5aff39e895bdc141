// Loading programs from the boot image into new processes.
//
// load() builds a complete, not yet started process: address space with the
// program's segments (real permissions, never W+X), a user stack, and one
// task. It fails cleanly (ERR_NOT_FOUND, ERR_CORRUPT for a malformed ELF,
// ERR_NO_MEMORY) with nothing left behind. set_start() then writes argv and
// the child's handle values on its stack and sets its first registers.
#pragma once
#include <keel/syscall.h>
#include <libk/bootimage.h>
#include <libk/result.h>

#include "object/process.h"

namespace loader {

void init();  // find the boot image linked into the kernel
const libk::BootImage* image();

// Room for `num_handles` startup handles is reserved in the new process's
// table too (slots and quota), into *slots, so that nothing can fail once
// the caller starts moving them in (add(*slots, ...)). The caller must let
// go of *slots before it starts the process. The process joins `job` (its
// quota pays for it; ERR_NO_MEMORY over it).
libk::Result<RefPtr<Process>> load(const char* name, uint64_t parent_pid, size_t num_handles = 0,
                                   Job& job = Job::root(),
                                   HandleTable::Reservation* slots = nullptr);
// args: argc NUL-terminated strings, args_len bytes in all.
libk::Result<void> set_start(Process& p, const char* args, size_t args_len, uint32_t argc,
                             const keel_handle_t* handles, size_t num_handles);

// The entry of every user task: enter user mode (see user_mode.cpp).
int user_task_entry(void* unused);

}  // namespace loader
