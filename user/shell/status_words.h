// Statuses and errors in words. Every message the shell prints about how a
// program ended or why an operation failed goes through these two functions,
// so the same status always reads the same way and no raw code
// (ERR_BAD_HANDLE, -9) reaches a person.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace shell {

// How a process ended, from its exit status: "exit 0", "exit 3", "killed"
// (the kernel's kill status, -9), "fault" (killed by the kernel for a
// fault, -11; the kernel prints the cause when it happens). The kernel
// reports only the number, so a program that exits with -9 itself reads as
// "killed" too. Writes into buf (NUL-terminated) and returns it.
const char* exit_words(int64_t status, char* buf, size_t cap);

// What an error status means for the thing it was about: ERR_NOT_FOUND is
// "no such program" for a program and "no such file or directory" for a
// path. Never null; a status outside the ABI reads "unexpected error".
enum class Subject : uint8_t {
  Other,
  Program,    // spawning one by name
  File,       // reading a procfs path
  Directory,  // listing a procfs path
  Process,    // a process handle (kill, wait)
  Service,    // talking to a server (procfs)
};
const char* error_phrase(int64_t status, Subject subject);

}  // namespace shell
