// The console as the shell uses it: the thin driver between the kernel's
// console (debug_read / debug_write) and the pure line editor. The only
// file of the shell that reads the console.
//
// Invariants:
//  - Nothing typed is lost while a command runs: bytes read then wait in
//    the type-ahead buffer for the next prompt. Only Ctrl-C acts at once,
//    and, as on a Unix terminal, it also drops what was typed before it.
//  - A lone Esc is resolved by the key timeout: while the editor is inside
//    an escape sequence the console is read with that timeout, and a quiet
//    console ends the sequence.
//  - The editor's output and the shell's printf output reach the console
//    in the order they were produced.
#pragma once
#include <libk/string.h>
#include <stddef.h>
#include <stdint.h>

#include "line_editor.h"

namespace shell::console {

constexpr uint64_t DEFAULT_KEY_TIMEOUT_MS = 100;
constexpr size_t TYPEAHEAD_MAX = 4096;

// Where the line editor writes.
Output output();

// Starts a line with `prompt` and feeds `editor` what was typed ahead, then
// what the console gives, until the editor reports an event. Bytes after
// the event stay typed ahead. EndOfInput also if the console fails.
LineEditor::Event read_line(LineEditor& editor, libk::StringView prompt);

// While a command runs: waits up to timeout_ms for input and keeps it for
// the next prompt. True if Ctrl-C was typed.
bool poll(uint64_t timeout_ms);

// For an interactive command (top): up to cap fresh bytes from the console,
// waiting up to timeout_ms; 0 if none came. Type-ahead is left alone.
size_t read_fresh(char* buf, size_t cap, uint64_t timeout_ms);

// Bytes dropped because the type-ahead buffer was full, since last asked.
size_t take_dropped();

void set_key_timeout(uint64_t ms);
uint64_t key_timeout();

}  // namespace shell::console
