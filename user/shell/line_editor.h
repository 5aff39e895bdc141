// Reading one command line from the console, with the editing a person
// expects: echo, backspace, Ctrl-C (cancel the line), Ctrl-D on an empty
// line (end of input), CR, LF or CRLF to finish. Escape sequences (arrow
// keys) and other non-printable bytes are dropped and counted; a line longer
// than the buffer is consumed to its end and reported as too long.
#pragma once
#include <stddef.h>

namespace line_editor {

enum class Status { Line, Eof, Interrupted, TooLong };

struct Result {
  Status status;
  size_t len;      // bytes in the buffer (NUL-terminated)
  size_t dropped;  // non-printable bytes ignored on this line
};

Result read_line(char* buf, size_t cap);

}  // namespace line_editor
