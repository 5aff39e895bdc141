#include "console.h"

#include "keel.h"

namespace shell::console {
namespace {
constexpr char CTRL_C = 0x03;
constexpr size_t READ_MAX = 256;  // the kernel hands out at most this much per read

// Type-ahead: a ring of bytes read but not yet fed to the editor.
char typeahead[TYPEAHEAD_MAX];
size_t head, count;  // head: oldest byte
size_t dropped;

void push(char c) {
  if (count == TYPEAHEAD_MAX) {
    dropped++;
    return;
  }
  typeahead[(head + count) % TYPEAHEAD_MAX] = c;
  count++;
}

char pop() {
  char c = typeahead[head];
  head = (head + 1) % TYPEAHEAD_MAX;
  count--;
  return c;
}

// The editor's output, collected per batch of input and written in one go.
char out_buf[1024];
size_t out_len;

void flush_output() {
  if (out_len) keel::debug_write(out_buf, out_len);
  out_len = 0;
}

void write_output(void*, const char* bytes, size_t n) {
  while (n > 0) {
    if (out_len == sizeof(out_buf)) flush_output();
    size_t room = sizeof(out_buf) - out_len;
    size_t k = n < room ? n : room;
    memcpy(out_buf + out_len, bytes, k);
    out_len += k;
    bytes += k;
    n -= k;
  }
}

uint64_t key_timeout_ms = DEFAULT_KEY_TIMEOUT_MS;
}  // namespace

Output output() { return Output{nullptr, write_output}; }

LineEditor::Event read_line(LineEditor& editor, libk::StringView prompt) {
  keel::flush();  // what the shell printed goes first
  editor.begin(prompt);
  for (;;) {
    while (count > 0) {
      LineEditor::Event e = editor.feed(static_cast<uint8_t>(pop()));
      if (e != LineEditor::Event::None) {
        flush_output();
        return e;
      }
    }
    flush_output();
    char buf[READ_MAX];
    size_t n = 0;
    uint64_t timeout = editor.wants_timeout() ? key_timeout_ms : KEEL_TIMEOUT_INFINITE;
    int64_t r = keel::debug_read(buf, sizeof(buf), &n, timeout);
    if (r == ERR_TIMED_OUT) {
      editor.timeout();
      continue;
    }
    if (r != KEEL_OK) return LineEditor::Event::EndOfInput;
    for (size_t i = 0; i < n; i++) push(buf[i]);
  }
}

bool poll(uint64_t timeout_ms) {
  char buf[READ_MAX];
  size_t n = 0;
  if (keel::debug_read(buf, sizeof(buf), &n, timeout_ms) != KEEL_OK) return false;
  bool interrupted = false;
  for (size_t i = 0; i < n; i++) {
    if (buf[i] == CTRL_C) {
      interrupted = true;
      head = count = 0;  // a terminal drops what was typed before the interrupt
      continue;
    }
    push(buf[i]);
  }
  return interrupted;
}

size_t read_fresh(char* buf, size_t cap, uint64_t timeout_ms) {
  size_t n = 0;
  if (cap > READ_MAX) cap = READ_MAX;
  return keel::debug_read(buf, cap, &n, timeout_ms) == KEEL_OK ? n : 0;
}

size_t take_dropped() {
  size_t d = dropped;
  dropped = 0;
  return d;
}

void set_key_timeout(uint64_t ms) { key_timeout_ms = ms; }
uint64_t key_timeout() { return key_timeout_ms; }

}  // namespace shell::console
