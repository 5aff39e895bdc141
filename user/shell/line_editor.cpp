#include "line_editor.h"

#include "keel.h"

namespace line_editor {
namespace {
char pending[64];
size_t pending_len, pending_pos;
bool last_was_cr;

// Next input byte, or -1 at end of input (the console never ends; kept for
// completeness if debug_read fails).
int next_byte() {
  if (pending_pos == pending_len) {
    pending_len = pending_pos = 0;
    if (keel::debug_read(pending, sizeof(pending), &pending_len, KEEL_TIMEOUT_INFINITE) < 0)
      return -1;
  }
  return static_cast<unsigned char>(pending[pending_pos++]);
}

void echo(const char* s, size_t n) { keel::debug_write(s, n); }
}  // namespace

Result read_line(char* buf, size_t cap) {
  Result r{Status::Line, 0, 0};
  bool too_long = false;
  bool in_escape = false;
  for (;;) {
    int c = next_byte();
    if (c < 0) {
      r.status = Status::Eof;
      break;
    }
    bool was_cr = last_was_cr;
    last_was_cr = false;
    if (in_escape) {  // ESC [ ... final byte in 0x40..0x7e
      if (c >= 0x40 && c <= 0x7e && c != '[') in_escape = false;
      r.dropped++;
      continue;
    }
    if (c == '\n' && was_cr) continue;  // the LF of a CRLF
    if (c == '\r' || c == '\n') {
      last_was_cr = c == '\r';
      echo("\n", 1);
      r.status = too_long ? Status::TooLong : Status::Line;
      break;
    }
    if (c == 0x03) {  // Ctrl-C
      echo("^C\n", 3);
      r.status = Status::Interrupted;
      r.len = 0;
      break;
    }
    if (c == 0x04) {  // Ctrl-D
      if (r.len == 0 && !too_long) {
        r.status = Status::Eof;
        break;
      }
      continue;
    }
    if (c == 0x7f || c == 0x08) {  // backspace
      if (r.len > 0 && !too_long) {
        r.len--;
        echo("\b \b", 3);
      }
      continue;
    }
    if (c == 0x1b) {
      in_escape = true;
      r.dropped++;
      continue;
    }
    if (c < 0x20 || c > 0x7e) {
      r.dropped++;
      continue;
    }
    if (r.len + 1 >= cap) {
      too_long = true;  // keep reading to the end of the line, store nothing
      continue;
    }
    buf[r.len++] = static_cast<char>(c);
    char ch = static_cast<char>(c);
    echo(&ch, 1);
  }
  buf[r.len < cap ? r.len : cap - 1] = 0;
  return r;
}

}  // namespace line_editor
