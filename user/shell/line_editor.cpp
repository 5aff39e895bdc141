#include "line_editor.h"

namespace shell {
namespace {
using libk::StringView;

bool printable(char c) { return c >= 0x20 && c < 0x7f; }
bool is_space(char c) { return c == ' '; }
// Where a word for completion begins: after a space or a `;`.
bool breaks_word(char c) { return c == ' ' || c == ';'; }

size_t common_prefix(StringView a, StringView b, size_t limit) {
  size_t n = 0;
  while (n < limit && n < a.size() && n < b.size() && a[n] == b[n]) n++;
  return n;
}
}  // namespace

void Completions::add(StringView candidate) {
  for (char c : candidate)
    if (!printable(c)) return;
  if (count_ == MAX || candidate.size() > TEXT - used_) {
    truncated_ = true;
    return;
  }
  memcpy(text_ + used_, candidate.data(), candidate.size());
  start_[count_] = static_cast<uint16_t>(used_);
  len_[count_] = static_cast<uint16_t>(candidate.size());
  used_ += candidate.size();
  count_++;
}

void Completions::keep_starting_with(StringView prefix) {
  size_t kept = 0;
  for (size_t i = 0; i < count_; i++) {
    if (!get(i).starts_with(prefix)) continue;
    start_[kept] = start_[i];
    len_[kept] = len_[i];
    kept++;
  }
  count_ = kept;
}

void LineEditor::begin(StringView prompt) {
  prompt_len_ = 0;
  for (char c : prompt) {
    if (prompt_len_ == PROMPT_MAX) break;
    prompt_[prompt_len_++] = printable(c) ? c : '?';
  }
  len_ = pos_ = 0;
  overflowed_ = false;
  recalled_ = NOT_RECALLED;
  active_ = true;
  emit(prompt_, prompt_len_);
  if (ends_on_row_start(0)) emit("\n", 1);
}

LineEditor::Event LineEditor::feed(uint8_t byte) {
  LIBK_ASSERT(active_);
  return apply(decoder_.feed(byte));
}

LineEditor::Event LineEditor::apply(KeyEvent k) {
  switch (k.key) {
    case Key::None:
      break;
    case Key::Char:
      insert(StringView(&k.ch, 1));
      break;
    case Key::Enter:
      go(pos_, len_);
      if (!ends_on_row_start(len_)) emit("\n", 1);
      if (overflowed_) return finish(Event::TooLong);
      if (history_) history_->add(line());
      return finish(Event::Line);
    case Key::Interrupt:
      go(pos_, len_);
      emit("^C\n", 3);
      return finish(Event::Cancelled);
    case Key::EndOfInput:
      if (len_ == 0 && !overflowed_) return finish(Event::EndOfInput);
      if (pos_ < len_) erase(pos_, pos_ + 1);
      break;
    case Key::Tab:
      complete();
      break;
    case Key::Backspace:
      if (pos_ > 0) erase(pos_ - 1, pos_);
      break;
    case Key::Delete:
      if (pos_ < len_) erase(pos_, pos_ + 1);
      break;
    case Key::Left:
      if (pos_ > 0) move_cursor(pos_ - 1);
      break;
    case Key::Right:
      if (pos_ < len_) move_cursor(pos_ + 1);
      break;
    case Key::Home:
      move_cursor(0);
      break;
    case Key::End:
      move_cursor(len_);
      break;
    case Key::WordLeft:
      move_cursor(word_start_before(pos_));
      break;
    case Key::WordRight:
      move_cursor(word_end_after(pos_));
      break;
    case Key::KillWordLeft:
      erase(word_start_before(pos_), pos_);
      break;
    case Key::KillWordRight:
      erase(pos_, word_end_after(pos_));
      break;
    case Key::KillToStart:
      erase(0, pos_);
      break;
    case Key::KillToEnd:
      erase(pos_, len_);
      break;
    case Key::Up:
      if (history_ && history_->size() > 0) {
        if (recalled_ == NOT_RECALLED)
          recall(0);
        else if (recalled_ + 1 < history_->size())
          recall(recalled_ + 1);
      }
      break;
    case Key::Down:
      if (recalled_ != NOT_RECALLED) recall(recalled_ == 0 ? NOT_RECALLED : recalled_ - 1);
      break;
    case Key::ClearScreen:
      emit("\x1b[H\x1b[2J", 7);
      emit(prompt_, prompt_len_);
      if (ends_on_row_start(0)) emit("\n", 1);
      redraw_after_prompt();
      break;
  }
  return Event::None;
}

LineEditor::Event LineEditor::finish(Event e) {
  active_ = false;
  return e;
}

void LineEditor::insert(StringView text) {
  if (text.size() > LINE_CAP - len_) {
    overflowed_ = true;  // not cut short: Enter will refuse the line
    return;
  }
  size_t old_pos = pos_;
  bool at_end = pos_ == len_;
  memmove(buf_ + pos_ + text.size(), buf_ + pos_, len_ - pos_);
  memcpy(buf_ + pos_, text.data(), text.size());
  len_ += text.size();
  pos_ += text.size();
  if (!at_end) return redraw_from(old_pos);
  emit(text);  // typing at the end of the line: just the echo
  if (ends_on_row_start(pos_)) emit("\n", 1);
}

void LineEditor::erase(size_t from, size_t to) {
  if (from >= to) return;
  size_t old_pos = pos_;
  bool backspace_at_end = to == len_ && to == pos_ && from + 1 == to && column_of(pos_) > 0;
  memmove(buf_ + from, buf_ + to, len_ - to);
  len_ -= to - from;
  pos_ = from;
  if (backspace_at_end) return emit("\b \b", 3);
  redraw_from(old_pos);
}

void LineEditor::move_cursor(size_t to) {
  go(pos_, to);
  pos_ = to;
}

void LineEditor::recall(size_t age) {
  if (recalled_ == NOT_RECALLED) {  // leaving the line being typed: keep it
    memcpy(saved_, buf_, len_);
    saved_len_ = len_;
  }
  size_t old_pos = pos_;
  StringView text = age == NOT_RECALLED ? StringView(saved_, saved_len_) : history_->get(age);
  size_t n = text.size() < LINE_CAP ? text.size() : LINE_CAP;
  memcpy(buf_, text.data(), n);
  len_ = pos_ = n;
  recalled_ = age;
  overflowed_ = false;
  redraw_from(old_pos);
}

size_t LineEditor::word_start_before(size_t i) const {
  while (i > 0 && is_space(buf_[i - 1])) i--;
  while (i > 0 && !is_space(buf_[i - 1])) i--;
  return i;
}

size_t LineEditor::word_end_after(size_t i) const {
  while (i < len_ && is_space(buf_[i])) i++;
  while (i < len_ && !is_space(buf_[i])) i++;
  return i;
}

void LineEditor::complete() {
  if (!completer_.complete) return;
  size_t start = pos_;
  while (start > 0 && !breaks_word(buf_[start - 1])) start--;
  StringView word(buf_ + start, pos_ - start);
  completions_.clear();
  completer_.complete(completer_.ctx, StringView(buf_, start), word, completions_);
  completions_.keep_starting_with(word);
  if (completions_.count() == 0) return;
  // How much the candidates share, and whether they are all the same word.
  StringView first = completions_.get(0);
  size_t shared = first.size();
  bool all_same = true;
  for (size_t i = 1; i < completions_.count(); i++) {
    all_same &= completions_.get(i) == first;
    shared = common_prefix(first, completions_.get(i), shared);
  }
  if (all_same) {
    StringView rest = first.substr(word.size());
    bool directory = first.ends_with("/");
    // One insertion: the rest and its space fit together or not at all.
    char text[LINE_CAP + 1];
    if (rest.size() + 1 > sizeof(text)) return;
    memcpy(text, rest.data(), rest.size());
    text[rest.size()] = ' ';
    insert(StringView(text, rest.size() + (directory ? 0 : 1)));
    return;
  }
  if (shared > word.size()) return insert(first.substr(word.size(), shared - word.size()));
  list_completions();
}

// The candidates under the line, in columns, then the prompt and the line
// again below them.
void LineEditor::list_completions() {
  go(pos_, len_);
  if (!ends_on_row_start(len_)) emit("\n", 1);
  size_t n = completions_.count();
  size_t order[Completions::MAX];
  size_t widest = 0;
  for (size_t i = 0; i < n; i++) {  // insertion sort: at most MAX names
    StringView c = completions_.get(i);
    widest = c.size() > widest ? c.size() : widest;
    size_t j = i;
    for (; j > 0; j--) {
      StringView prev = completions_.get(order[j - 1]);
      size_t k = common_prefix(prev, c, SIZE_MAX);
      bool prev_after = k < prev.size() && (k == c.size() || prev[k] > c[k]);
      if (!prev_after) break;
      order[j] = order[j - 1];
    }
    order[j] = i;
  }
  size_t width = widest + 2;
  size_t per_row = columns_ > width ? columns_ / width : 1;
  size_t column = 0;
  for (size_t i = 0; i < n; i++) {
    StringView c = completions_.get(order[i]);
    if (c.size() >= columns_) c = c.substr(0, columns_ - 1);  // never wrap
    emit(c);
    if (++column == per_row || i + 1 == n) {
      emit("\n", 1);
      column = 0;
      continue;
    }
    for (size_t pad = c.size(); pad < width; pad++) emit(" ", 1);
  }
  if (completions_.truncated()) emit("(more not shown)\n", 17);
  emit(prompt_, prompt_len_);
  if (ends_on_row_start(0)) emit("\n", 1);
  redraw_after_prompt();
}

void LineEditor::emit_csi(size_t n, char final) {
  char text[24];
  size_t i = sizeof(text);
  text[--i] = final;
  do {
    text[--i] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n > 0);
  text[--i] = '[';
  text[--i] = '\x1b';
  emit(text + i, sizeof(text) - i);
}

// Redraws the line when the terminal's cursor is at index `cursor_was`:
// back to the prompt's row, clear everything below, prompt and line, then
// the cursor to pos_.
void LineEditor::redraw_from(size_t cursor_was) {
  size_t up = row_of(cursor_was);
  if (up > 0) emit_csi(up, 'A');
  emit("\r\x1b[J", 4);
  emit(prompt_, prompt_len_);
  if (ends_on_row_start(0)) emit("\n", 1);
  redraw_after_prompt();
}

void LineEditor::redraw_after_prompt() {
  emit(buf_, len_);
  if (len_ > 0 && ends_on_row_start(len_)) emit("\n", 1);
  go(len_, pos_);
}

void LineEditor::go(size_t from, size_t to) {
  size_t from_row = row_of(from), to_row = row_of(to);
  size_t from_col = column_of(from), to_col = column_of(to);
  if (from_row == to_row) {
    if (to_col + 1 == from_col)
      emit("\b", 1);
    else if (to_col < from_col)
      emit_csi(from_col - to_col, 'D');
    else if (to_col > from_col)
      emit_csi(to_col - from_col, 'C');
    return;
  }
  if (to_row < from_row)
    emit_csi(from_row - to_row, 'A');
  else
    emit_csi(to_row - from_row, 'B');
  emit("\r", 1);
  if (to_col > 0) emit_csi(to_col, 'C');
}

}  // namespace shell
