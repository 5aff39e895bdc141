// A terminal, as far as the shell's line editor uses one: a grid `columns`
// wide (as many rows as written), printable characters with xterm's
// pending wrap at the last column, \n as CR LF (the console's translation),
// \r, \b, and ESC [ n A/B/C/D, ESC [ J, ESC [ 2 J, ESC [ H. Anything else
// the editor writes is recorded as a problem: the editor promises not to.
//
// check() says whether the screen shows exactly a prompt and a line, from
// some row down with nothing below, and the cursor on the right character:
// the property test/host/test_line_editor.cpp and the fuzzer
// (test/fuzz/fuzz_line_editor.cpp) assert after every byte.
#pragma once
#include <stddef.h>

#include <string>
#include <string_view>
#include <vector>

namespace shell_test {

class TerminalModel {
 public:
  explicit TerminalModel(size_t columns) : columns_(columns) { rows_.emplace_back(columns, ' '); }

  void write(const char* s, size_t n) {
    for (size_t i = 0; i < n; i++) byte(static_cast<unsigned char>(s[i]));
  }

  // The first thing written that a line editor must not write, or "".
  const std::string& problem() const { return problem_; }
  size_t row() const { return row_; }
  size_t column() const { return col_; }
  bool wrap_pending() const { return pending_; }
  bool in_sequence() const { return state_ != State::Ground; }
  std::string row_text(size_t r) const {
    if (r >= rows_.size()) return std::string();
    std::string s = rows_[r];
    return s.erase(s.find_last_not_of(' ') + 1);
  }

  // "" if the screen shows `prompt` + `line` wrapped at the width, from the
  // cursor's row minus the rows before the cursor, nothing below, and the
  // cursor at index `cursor` of the line; otherwise what is wrong.
  std::string check(std::string_view prompt, std::string_view line, size_t cursor) const {
    if (!problem_.empty()) return problem_;
    if (state_ != State::Ground) return "the output ends inside an escape sequence";
    if (pending_) return "the cursor is left in a pending wrap";
    std::string text = std::string(prompt) + std::string(line);
    size_t at = prompt.size() + cursor;
    size_t cursor_row = at / columns_;
    if (col_ != at % columns_)
      return "cursor in column " + std::to_string(col_) + ", expected " +
             std::to_string(at % columns_);
    if (row_ < cursor_row) return "the line starts above the top of the screen";
    size_t top = row_ - cursor_row;
    size_t text_rows = text.empty() ? 1 : (text.size() + columns_ - 1) / columns_;
    size_t rows = text_rows > cursor_row + 1 ? text_rows : cursor_row + 1;
    for (size_t r = 0; r < rows; r++) {
      std::string want = r * columns_ < text.size() ? text.substr(r * columns_, columns_) : "";
      want.erase(want.find_last_not_of(' ') + 1);
      if (row_text(top + r) != want)
        return "row " + std::to_string(r) + " shows \"" + row_text(top + r) + "\", expected \"" +
               want + "\"";
    }
    for (size_t r = top + rows; r < rows_.size(); r++)
      if (!row_text(r).empty()) return "left-over text below the line: \"" + row_text(r) + "\"";
    return "";
  }

  // Forgets rows far above the cursor (long random runs stay small).
  void trim(size_t keep_above = 400) {
    if (row_ <= keep_above * 2) return;
    size_t drop = row_ - keep_above;
    rows_.erase(rows_.begin(), rows_.begin() + static_cast<long>(drop));
    row_ -= drop;
  }

 private:
  enum class State { Ground, Escape, Csi };

  void fail(const std::string& why) {
    if (problem_.empty()) problem_ = why;
  }
  std::string& at_row(size_t r) {
    while (rows_.size() <= r) rows_.emplace_back(columns_, ' ');
    return rows_[r];
  }
  size_t param(size_t def) const { return params_.empty() ? def : std::stoul(params_); }

  void byte(unsigned char c) {
    switch (state_) {
      case State::Ground:
        return ground(c);
      case State::Escape:
        if (c == '[') {
          state_ = State::Csi;
          params_.clear();
          return;
        }
        state_ = State::Ground;
        return fail("an escape sequence other than CSI: ESC " + std::to_string(c));
      case State::Csi:
        if (c >= '0' && c <= '9') {
          if (params_.size() < 6)
            params_ += static_cast<char>(c);
          else
            fail("an absurd CSI parameter");
          return;
        }
        state_ = State::Ground;
        return csi(c);
    }
  }

  void ground(unsigned char c) {
    if (c >= 0x20 && c < 0x7f) {
      if (pending_) {
        row_++;
        col_ = 0;
        pending_ = false;
      }
      at_row(row_)[col_] = static_cast<char>(c);
      if (col_ + 1 == columns_)
        pending_ = true;
      else
        col_++;
      return;
    }
    pending_ = false;
    switch (c) {
      case '\n':
        row_++, col_ = 0, at_row(row_);
        return;
      case '\r':
        col_ = 0;
        return;
      case '\b':
        col_ = col_ > 0 ? col_ - 1 : 0;
        return;
      case 0x1b:
        state_ = State::Escape;
        return;
    }
    fail("control byte " + std::to_string(c) + " written");
  }

  void csi(unsigned char final) {
    pending_ = false;
    size_t n = param(1);
    switch (final) {
      case 'A':
        row_ = n > row_ ? 0 : row_ - n;
        return;
      case 'B':
        row_ += n, at_row(row_);
        return;
      case 'C':
        col_ = col_ + n >= columns_ ? columns_ - 1 : col_ + n;
        return;
      case 'D':
        col_ = n > col_ ? 0 : col_ - n;
        return;
      case 'H':
        if (!params_.empty()) return fail("ESC [ H with a parameter");
        row_ = col_ = 0;
        return;
      case 'J':
        if (param(0) == 2) {
          for (std::string& r : rows_) r.assign(columns_, ' ');
          return;
        }
        if (param(0) != 0) return fail("ESC [ J with parameter " + params_);
        at_row(row_).replace(col_, columns_ - col_, columns_ - col_, ' ');
        for (size_t r = row_ + 1; r < rows_.size(); r++) rows_[r].assign(columns_, ' ');
        return;
    }
    fail(std::string("an unexpected CSI final byte ") + static_cast<char>(final));
  }

  size_t columns_;
  std::vector<std::string> rows_;
  size_t row_ = 0, col_ = 0;
  bool pending_ = false;
  State state_ = State::Ground;
  std::string params_;
  std::string problem_;
};

}  // namespace shell_test
