// The shell's line editor driven the way the console driver drives it,
// with every byte of output going to a TerminalModel: shared by the host
// tests and the fuzz target. After each byte, check() says whether the
// editor's promises hold (line_editor.h): cursor and length in range, the
// line printable, and the terminal showing exactly prompt + line.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../../user/shell/line_editor.h"
#include "terminal_model.h"

namespace shell_test {

using Event = shell::LineEditor::Event;

struct Outcome {
  Event event;
  std::string line;
};

class EditorHarness {
 public:
  explicit EditorHarness(size_t columns = 80, std::string prompt = "keel> ")
      : prompt_(std::move(prompt)),
        history_(std::make_unique<shell::History>()),
        editor_(std::make_unique<shell::LineEditor>(
            shell::Output{this, &EditorHarness::write_out}, history_.get(),
            shell::Completer{this, &EditorHarness::complete_in}, columns)),
        term_(columns) {
    editor_->begin(libk::StringView(prompt_.data(), prompt_.size()));
  }

  // Feeds bytes; a byte equal to `timeout_marker` (if >= 0) is a quiet
  // console instead (timeout() when the editor wants one). Starts a new
  // line after every event, as the shell does. The first broken promise is
  // kept in failure().
  void type(std::string_view bytes, int timeout_marker = -1) {
    for (char c : bytes) {
      auto b = static_cast<unsigned char>(c);
      if (static_cast<int>(b) == timeout_marker) {
        quiet();
        continue;
      }
      Event e = editor_->feed(b);
      after(e);
    }
  }
  void quiet() {
    if (editor_->wants_timeout()) editor_->timeout();
    verify();
  }

  const std::vector<Outcome>& outcomes() const { return outcomes_; }
  std::vector<std::string> lines() const {
    std::vector<std::string> v;
    for (const Outcome& o : outcomes_)
      if (o.event == Event::Line) v.push_back(o.line);
    return v;
  }
  const std::string& failure() const { return failure_; }
  const std::string& output() const { return output_; }
  void clear_output() { output_.clear(); }
  shell::LineEditor& editor() { return *editor_; }
  shell::History& history() { return *history_; }
  TerminalModel& terminal() { return term_; }
  std::vector<std::string> candidates;  // what Tab offers (filtered by the editor)
  std::string last_before, last_word;   // what the last Tab asked about

 private:
  static void write_out(void* ctx, const char* s, size_t n) {
    auto* h = static_cast<EditorHarness*>(ctx);
    h->term_.write(s, n);
    if (h->output_.size() < (1u << 20)) h->output_.append(s, n);
  }
  static void complete_in(void* ctx, libk::StringView before, libk::StringView word,
                          shell::Completions& out) {
    auto* h = static_cast<EditorHarness*>(ctx);
    h->last_before.assign(before.data(), before.size());
    h->last_word.assign(word.data(), word.size());
    for (const std::string& c : h->candidates) out.add(libk::StringView(c.data(), c.size()));
  }

  void after(Event e) {
    if (e != Event::None) {
      outcomes_.push_back({e, std::string(editor_->line().data(), editor_->line().size())});
      if (e == Event::EndOfInput) term_.write("\n", 1);  // the shell's newline
      if (term_.column() != 0 || term_.wrap_pending())
        fail("a finished line leaves the cursor mid-row");
      term_.trim();
      editor_->begin(libk::StringView(prompt_.data(), prompt_.size()));
    }
    verify();
  }

  void verify() {
    if (!failure_.empty()) return;
    shell::LineEditor& ed = *editor_;
    libk::StringView line = ed.line();
    if (ed.cursor() > line.size()) return fail("cursor past the end of the line");
    if (line.size() > shell::LineEditor::LINE_CAP) return fail("line longer than LINE_CAP");
    for (char c : line)
      if (c < 0x20 || c > 0x7e) return fail("a non-printable byte in the line");
    std::string why = term_.check(std::string_view(ed.prompt().data(), ed.prompt().size()),
                                  std::string_view(line.data(), line.size()), ed.cursor());
    if (!why.empty()) fail(why);
  }
  void fail(const std::string& why) {
    if (failure_.empty()) failure_ = why;
  }

  std::string prompt_;
  std::unique_ptr<shell::History> history_;
  std::unique_ptr<shell::LineEditor> editor_;
  TerminalModel term_;
  std::vector<Outcome> outcomes_;
  std::string output_;
  std::string failure_;
};

}  // namespace shell_test
