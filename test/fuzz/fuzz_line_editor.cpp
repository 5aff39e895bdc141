// Fuzz target: the shell's line editor (user/shell/line_editor.h) and its
// escape-sequence decoder, fed arbitrary bytes.
//
// Input: byte 0 picks the terminal width (2..121 columns), byte 1 the prompt
// length (0..19), byte 2 a marker value: in the rest, that byte stands for a
// quiet console (the key timeout) instead of itself. The rest is typed.
//
// Properties checked after every byte (line_editor_harness.h): the cursor
// within the line, the line within LINE_CAP and printable, the output only
// what the editor may write, and a terminal model showing exactly prompt +
// line with the cursor on the right character; after each finished line the
// cursor at the start of a row. At the end, whatever came before, Ctrl-C and
// "echo ok" Enter give the line "echo ok": the prompt still answers.
//
// fuzz-sources: user/shell/line_editor.cpp user/shell/key_decoder.cpp user/shell/history.cpp
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <string>

#include "../host/line_editor_harness.h"
#include "fuzz_check.h"

// The harness names the broken promise; print it before trapping.
#define LINE_EDITOR_CHECK(cond, why)                                      \
  do {                                                                    \
    if (!(cond)) fprintf(stderr, "fuzz: %s\n", std::string(why).c_str()); \
    FUZZ_CHECK(cond);                                                     \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  size_t columns = 2 + data[0] % 120;
  std::string prompt(data[1] % 20, '>');
  int marker = data[2];
  shell_test::EditorHarness h(columns, prompt);
  h.candidates = {
      "alpha", "alps", "beta", "/proc/", "/proc/1/", "/proc/12/status", std::string(300, 'w')};
  for (const char* old : {"ls /proc", "cat /proc/kstat", "echo a;b"}) h.history().add(old);

  h.type(std::string_view(reinterpret_cast<const char*>(data + 3), size - 3), marker);
  LINE_EDITOR_CHECK(h.failure().empty(), h.failure());

  h.quiet();
  h.type(
      "\x03"
      "echo ok\r");
  LINE_EDITOR_CHECK(h.failure().empty(), h.failure());
  LINE_EDITOR_CHECK(!h.lines().empty() && h.lines().back() == "echo ok", "the prompt answers");
  return 0;
}
