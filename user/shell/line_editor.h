// The line editor: keys in, terminal output and finished lines out.
//
// A pure state machine: it makes no syscalls. The console driver
// (console.h) feeds it the bytes typed and writes its output; the host
// tests and the fuzzer (test/host/test_line_editor.cpp,
// test/fuzz/fuzz_line_editor.cpp) feed it anything at all and check what a
// terminal would show.
//
// Keys: printable ASCII inserts; Left/Right, Home/End (Ctrl-A/E),
// Ctrl-Left/Right and Alt-B/F move; Backspace, Delete, Ctrl-U (to start),
// Ctrl-K (to end), Ctrl-W and Alt-Backspace (word before), Alt-D (word
// after) delete; Up/Down (Ctrl-P/N) recall history; Tab completes; Ctrl-L
// clears the screen; Enter ends the line; Ctrl-C cancels it; Ctrl-D on an
// empty line ends input (elsewhere it deletes under the cursor).
//
// Invariants, after every byte:
//  - 0 <= cursor <= length <= LINE_CAP; the line holds printable ASCII only;
//  - a terminal `columns` wide that received the output shows the prompt
//    and the line, wrapped at `columns`, from the prompt's row down, with
//    nothing below, and its cursor on the cursor's character. The editor
//    writes printable ASCII, \n (the console turns it into CR LF), \r, \b
//    and ESC [ n A/B/C/D, ESC [ J, ESC [ H, ESC [ 2 J, nothing else;
//  - a line too long for the buffer is not cut short and run: typing past
//    LINE_CAP is ignored, and Enter reports Event::TooLong.
#pragma once
#include <libk/string.h>
#include <stddef.h>
#include <stdint.h>

#include "history.h"
#include "key_decoder.h"

namespace shell {

// Where the editor's terminal output goes.
struct Output {
  void* ctx;
  void (*write)(void* ctx, const char* bytes, size_t n);
};

// The candidates a Completer offers for Tab: whole words (e.g. "/proc/12/").
// A candidate ending in '/' is a directory: completing to it adds no space.
class Completions {
 public:
  static constexpr size_t MAX = 128;
  static constexpr size_t TEXT = 4096;
  // Ignores (and counts as truncated) what does not fit, and any candidate
  // with a byte that is not printable ASCII.
  void add(libk::StringView candidate);
  // Drops every candidate that does not start with `prefix`.
  void keep_starting_with(libk::StringView prefix);
  void clear() {
    count_ = used_ = 0;
    truncated_ = false;
  }
  size_t count() const { return count_; }
  libk::StringView get(size_t i) const { return libk::StringView(text_ + start_[i], len_[i]); }
  bool truncated() const { return truncated_; }

 private:
  char text_[TEXT] = {};
  uint16_t start_[MAX] = {}, len_[MAX] = {};
  size_t count_ = 0, used_ = 0;
  bool truncated_ = false;
};

// What Tab asks: the candidates for `word` (from its first character up to
// the cursor), given `before`, the line before the word.
struct Completer {
  void* ctx;
  void (*complete)(void* ctx, libk::StringView before, libk::StringView word, Completions& out);
};

class LineEditor {
 public:
  static constexpr size_t LINE_CAP = History::LINE_CAP;
  static constexpr size_t PROMPT_MAX = 64;

  enum class Event : uint8_t {
    None,        // keep feeding
    Line,        // Enter: line() is the line (added to the history)
    Cancelled,   // Ctrl-C: the line is dropped
    EndOfInput,  // Ctrl-D on an empty line
    TooLong,     // Enter on a line that overflowed: nothing should run
  };

  // history may be null; completer.complete may be null (Tab does nothing).
  constexpr LineEditor(Output out, History* history, Completer completer, size_t columns)
      : out_(out), history_(history), completer_(completer), columns_(columns < 2 ? 2 : columns) {}

  // Starts a line: writes the prompt (printable ASCII; anything else shows
  // as '?'; cut at PROMPT_MAX).
  void begin(libk::StringView prompt);
  // One input byte. Only while active(): after an Event other than None the
  // editor waits for begin().
  Event feed(uint8_t byte);
  // The input went quiet while wants_timeout(): a lone Esc is over.
  void timeout() { decoder_.timeout(); }
  bool wants_timeout() const { return decoder_.in_sequence(); }

  bool active() const { return active_; }
  libk::StringView line() const { return libk::StringView(buf_, len_); }
  size_t cursor() const { return pos_; }
  libk::StringView prompt() const { return libk::StringView(prompt_, prompt_len_); }
  size_t columns() const { return columns_; }
  void set_columns(size_t columns) { columns_ = columns < 2 ? 2 : columns; }

 private:
  Event apply(KeyEvent k);
  Event finish(Event e);

  // Editing.
  void insert(libk::StringView text);
  void erase(size_t from, size_t to);  // [from, to), then the cursor goes to `from`
  void move_cursor(size_t to);
  void recall(size_t age);  // history entry `age` back, or NOT_RECALLED: the saved line
  size_t word_start_before(size_t i) const;
  size_t word_end_after(size_t i) const;
  void complete();
  void list_completions();

  // Output. The terminal's cursor is on the character at index pos_ of the
  // line, counting the prompt: row (prompt_len_ + pos_) / columns_ below the
  // prompt's row, and never in a pending wrap (text that ends on the last
  // column is followed by a newline).
  void emit(const char* s, size_t n) { out_.write(out_.ctx, s, n); }
  void emit(libk::StringView s) { emit(s.data(), s.size()); }
  void emit_csi(size_t n, char final);
  size_t row_of(size_t index) const { return (prompt_len_ + index) / columns_; }
  size_t column_of(size_t index) const { return (prompt_len_ + index) % columns_; }
  bool ends_on_row_start(size_t index) const {
    return prompt_len_ + index > 0 && column_of(index) == 0;
  }
  void redraw_from(size_t cursor_was);  // everything, from the prompt's row down
  void redraw_after_prompt();           // the line, the cursor at the end of the prompt
  void go(size_t from, size_t to);      // moves the terminal's cursor between line indexes

  static constexpr size_t NOT_RECALLED = SIZE_MAX;

  Output out_;
  History* history_;
  Completer completer_;
  size_t columns_;
  KeyDecoder decoder_;
  bool active_ = false;
  bool overflowed_ = false;  // something typed did not fit: Enter gives TooLong
  char prompt_[PROMPT_MAX] = {};
  size_t prompt_len_ = 0;
  char buf_[LINE_CAP] = {};
  size_t len_ = 0, pos_ = 0;
  // History browsing: the entry shown, and the line being typed before Up.
  size_t recalled_ = NOT_RECALLED;
  char saved_[LINE_CAP] = {};
  size_t saved_len_ = 0;
  Completions completions_;
};

}  // namespace shell
