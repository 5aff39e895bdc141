// The shell's line editor (user/shell/line_editor.h, key_decoder.h,
// history.h) as a state machine: keys, escape sequences, history,
// completion, wrapping; every byte value after every escape prefix; and
// seeded random streams, checking after every byte that a terminal shows
// exactly the prompt and the line with the cursor in place.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "line_editor_harness.h"

using shell_test::EditorHarness;
using shell_test::Event;

namespace {
const char ESC = '\x1b';
std::string esc(const std::string& rest) { return std::string(1, ESC) + rest; }

// The one line a byte string produces, with every promise checked.
std::string line_of(const std::string& bytes, size_t columns = 80) {
  EditorHarness h(columns);
  h.type(bytes);
  CHECK_MESSAGE(h.failure() == "", h.failure());
  auto lines = h.lines();
  REQUIRE(lines.size() == 1);
  return lines[0];
}
}  // namespace

TEST_CASE("typing a line echoes it and Enter ends it") {
  EditorHarness h;
  h.type("echo hi\r");
  CHECK(h.failure() == "");
  CHECK(h.lines() == std::vector<std::string>{"echo hi"});
  CHECK(h.output().rfind("keel> echo hi\n", 0) == 0);  // plain echo: a pipe reads well
}

TEST_CASE("CR, LF and CR LF each end one line") {
  EditorHarness h;
  h.type("a\rb\nc\r\nd\n\re\r");
  CHECK(h.failure() == "");
  CHECK(h.lines() == std::vector<std::string>{"a", "b", "c", "d", "", "e"});
}

TEST_CASE("backspace, delete and cursor movement edit the line") {
  CHECK(line_of("abcX\x7f\r") == "abc");
  CHECK(line_of("abcX\b\r") == "abc");
  CHECK(line_of("ac" + esc("[D") + "b\r") == "abc");                          // Left, insert
  CHECK(line_of("abc" + esc("[D") + esc("[D") + esc("[3~") + "\r") == "ac");  // Delete
  CHECK(line_of("bc\x01"
                "a\r") == "abc");                                        // Ctrl-A
  CHECK(line_of("bc" + esc("[H") + "a" + esc("[F") + "d\r") == "abcd");  // Home, End
  CHECK(line_of("bc" + esc("[1~") + "a" + esc("[4~") + "d\r") == "abcd");
  CHECK(line_of("bc" + esc("OH") + "a" + esc("OF") + "d\r") == "abcd");
  CHECK(line_of("ac\x02"
                "b\x06"
                "d\r") == "abcd");                                       // Ctrl-B, Ctrl-F
  CHECK(line_of("ab" + esc("OD") + "X" + esc("OC") + "Y\r") == "aXbY");  // SS3 arrows
  CHECK(line_of("x\x7f\x7f\x7f\r") == "");                               // never below zero
  CHECK(line_of("ab" + esc("[C") + esc("[C") + "c\r") == "abc");         // never past the end
}

TEST_CASE("kill keys: Ctrl-U, Ctrl-K, Ctrl-W, Alt-D, Alt-Backspace") {
  CHECK(line_of("junk here\x15ok\r") == "ok");
  CHECK(line_of("keep cut\x01" + esc("[C") + esc("[C") + esc("[C") + esc("[C") + "\x0b\r") ==
        "keep");
  CHECK(line_of("one two three\x17\r") == "one two ");
  CHECK(line_of("one two   \x17\r") == "one ");
  CHECK(line_of("one two\x01" + esc("d") + "\r") == " two");
  CHECK(line_of("one two" + esc("\x7f") + "\r") == "one ");
  CHECK(line_of("a b" + esc("[1;5D") + "X\r") == "a Xb");                // Ctrl-Left
  CHECK(line_of("a b\x01" + esc("[1;5C") + "X\r") == "aX b");            // Ctrl-Right
  CHECK(line_of("a b" + esc("b") + "X" + esc("f") + "Y\r") == "a XbY");  // Alt-B, Alt-F
  CHECK(line_of("ab\x01" + std::string("\x04") + "\r") == "b");          // Ctrl-D deletes mid-line
}

TEST_CASE("Ctrl-C cancels the line, Ctrl-D on an empty line ends input") {
  EditorHarness h;
  h.type(
      "never\x03"
      "\x04");
  CHECK(h.failure() == "");
  REQUIRE(h.outcomes().size() == 2);
  CHECK(h.outcomes()[0].event == Event::Cancelled);
  CHECK(h.outcomes()[1].event == Event::EndOfInput);
  CHECK(h.history().size() == 0);
}

TEST_CASE("history: Up and Down recall, the typed line is kept, repeats and blanks are not") {
  EditorHarness h;
  h.type("first\rsecond\rsecond\r   \r");
  CHECK(h.history().size() == 2);
  h.type("draft" + esc("[A") + esc("[A") + "\r");
  CHECK(h.lines().back() == "first");
  h.type(esc("[A") + esc("[B") + "\r");  // Up then Down: back to the (empty) line being typed
  CHECK(h.lines().back() == "");
  h.type("dra" + esc("[A") + esc("[B") + "ft\r");  // Down restores what was typed
  CHECK(h.lines().back() == "draft");
  // History is now first, second, first, draft.
  h.type("\x10\x10\x0e\r");  // Ctrl-P Ctrl-P Ctrl-N
  CHECK(h.lines().back() == "draft");
  h.type(esc("[A") + esc("[A") + esc("[A") + esc("[A") + esc("[A") + esc("[A") + esc("[A") +
         esc("[A") + esc("[A") + esc("[A") + "\r");  // stops at the oldest
  CHECK(h.lines().back() == "first");
  CHECK(h.failure() == "");
}

TEST_CASE("history keeps the newest CAPACITY lines") {
  shell::History hist;
  for (int i = 0; i < 100; i++) {
    std::string s = "line " + std::to_string(i);
    hist.add(libk::StringView(s.data(), s.size()));
  }
  CHECK(hist.size() == shell::History::CAPACITY);
  CHECK(hist.get(0) == libk::StringView("line 99"));
  CHECK(hist.get(shell::History::CAPACITY - 1) == libk::StringView("line 36"));
  CHECK(hist.total() == 100);
}

TEST_CASE("escape sequences are consumed whole, known or not") {
  // "a", the sequence, "b": no byte of the sequence may show up in the line.
  // Keys that move the cursor to the start put the "b" first.
  struct Case {
    std::string seq, line;
  };
  std::vector<Case> cases = {{"[A", "ab"},
                             {"[B", "ab"},
                             {"[C", "ab"},
                             {"[D", "ba"},
                             {"[H", "ba"},
                             {"[F", "ab"},
                             {"[1;5C", "ab"},
                             {"[1;3D", "ba"},
                             {"[1;5D", "ba"},
                             {"[2~", "ab"},
                             {"[3~", "ab"},
                             {"[5~", "ab"},
                             {"[6~", "ab"},
                             {"[15~", "ab"},
                             {"[24~", "ab"},
                             {"[200~", "ab"},
                             {"[201~", "ab"},
                             {"[?25h", "ab"},
                             {"[>0c", "ab"},
                             {"[1;2;3;4;5;6;7z", "ab"},
                             {"[99999999999999D", "ba"},
                             {"[ q", "ab"},
                             {"OP", "ab"},
                             {"OQ", "ab"},
                             {"OR", "ab"},
                             {"OS", "ab"},
                             {"O5P", "ab"},
                             {"Ox", "ab"},
                             {"OA", "ab"},
                             {"OD", "ba"},
                             {"[[A", "ab"},
                             {"[[E", "ab"},
                             {"]0;title\x07", "ab"},
                             {"]8;;link\x1b\\", "ab"},
                             {"Pdcs\x1b\\", "ab"},
                             {"_apc\x1b\\", "ab"},
                             {"(B", "ab"},
                             {" F", "ab"},
                             {"x", "ab"},
                             {"7", "ab"},
                             {"[Z", "ab"},
                             {"[I", "ab"},
                             {"[O", "ab"},
                             {"[M", "ab"},
                             {"[1;5A", "ab"},
                             {"[3;5~", "ab"},
                             {"[:1m", "ab"}};
  for (const Case& c : cases) {
    INFO("sequence ESC " << c.seq);
    CHECK(line_of("a" + esc(c.seq) + "b\r") == c.line);
  }
  // Keypad Enter (ESC O M) ends the line by itself.
  EditorHarness h;
  h.type("a" + esc("OM"));
  CHECK(h.lines() == std::vector<std::string>{"a"});
}

TEST_CASE("a lone Esc: a timeout resolves it, Enter and Ctrl-C still act") {
  {
    EditorHarness h;
    h.type("ab\x1b");
    CHECK(h.editor().wants_timeout());
    h.quiet();
    CHECK_FALSE(h.editor().wants_timeout());
    h.type("c\r");
    CHECK(h.lines().back() == "abc");
  }
  CHECK(line_of("echo hi\x1b\r") == "echo hi");  // the piped-mode hang of the old shell
  CHECK(line_of("x\x1b\x1b\x1b\r") == "x");
  CHECK(line_of("x\x1b[1;\r") == "x");  // an unfinished CSI does not eat Enter
  CHECK(line_of("x\x1bO\r") == "x");
  CHECK(line_of("x\x1b]title\r") == "x");
  {
    EditorHarness h;
    h.type("abc\x1b\x03");
    REQUIRE(h.outcomes().size() == 1);
    CHECK(h.outcomes()[0].event == Event::Cancelled);
    h.type("\x1b[\x03");
    CHECK(h.outcomes().back().event == Event::Cancelled);
    CHECK(h.failure() == "");
  }
  {
    EditorHarness h;  // a sequence cut by a timeout is dropped, what follows is typed
    h.type("\x1b[1", 0);
    h.quiet();
    h.type("~x\r");
    CHECK(h.lines().back() == "~x");
  }
}

TEST_CASE("every byte value after every escape prefix leaves a working prompt") {
  std::vector<std::string> prefixes = {"",       "\x1b",  "\x1b[",  "\x1b[1", "\x1b[1;",
                                       "\x1b[?", "\x1bO", "\x1bO5", "\x1b]",  "\x1b]x\x1b",
                                       "\x1b[[", "\x1b ", "\x1bP"};
  for (const std::string& p : prefixes) {
    for (int b = 0; b < 256; b++) {
      INFO("prefix " << p.size() << " bytes, byte " << b);
      EditorHarness h;
      h.history().add("from history");
      h.type(p + std::string(1, static_cast<char>(b)));
      h.quiet();
      h.type("\x15ok\r");  // Ctrl-U: whatever the byte did to the line, then a command
      CHECK_MESSAGE(h.failure() == "", h.failure());
      REQUIRE_FALSE(h.lines().empty());
      CHECK(h.lines().back() == "ok");
    }
  }
}

TEST_CASE("a line too long is refused whole, not cut and run") {
  EditorHarness h;
  h.type(std::string(300, 'x') + "\r");
  REQUIRE(h.outcomes().size() == 1);
  CHECK(h.outcomes()[0].event == Event::TooLong);
  CHECK(h.history().size() == 0);
  CHECK(h.failure() == "");
  h.type("ok\r");
  CHECK(h.lines().back() == "ok");
  std::string full(shell::LineEditor::LINE_CAP, 'y');
  CHECK(line_of(full + "\r") == full);
}

TEST_CASE("Tab completes: one candidate, a shared prefix, a directory, a list") {
  EditorHarness h;
  h.candidates = {"hello", "help", "holder", "/proc/", "/proc/12/", "/proc/kstat"};
  h.type("hel\t");
  CHECK(h.last_before == "");
  CHECK(h.last_word == "hel");
  CHECK(std::string(h.editor().line().data(), h.editor().line().size()) == "hel");  // hello/help
  h.clear_output();
  h.type("\t");  // nothing shared beyond "hel": the list, then the prompt and line again
  CHECK(h.output().find("hello  help") != std::string::npos);
  CHECK(h.output().find("keel> hel") != std::string::npos);
  h.type("p\t\r");
  CHECK(h.lines().back() == "help ");
  h.type("cat /pr\t");
  CHECK(h.last_before == "cat ");
  h.type("k\t\r");
  CHECK(h.lines().back() == "cat /proc/kstat ");
  h.type("ls /proc/1\t\r");
  CHECK(h.lines().back() == "ls /proc/12/");
  h.type("echo a;ho\t\r");
  CHECK(h.last_before == "echo a;");
  CHECK(h.lines().back() == "echo a;holder ");
  h.candidates = {"same", "same"};
  h.type("sa\t\r");
  CHECK(h.lines().back() == "same ");
  h.candidates.clear();
  h.type("zz\t\r");
  CHECK(h.lines().back() == "zz");
  CHECK(h.failure() == "");
}

TEST_CASE("completion in the middle of a line and a list on a narrow terminal") {
  EditorHarness h(12);
  h.candidates = {"alpha", "alps", "beta-long-name-here"};
  h.type("al x\x01" + esc("[C") + esc("[C") + "\t\t");
  CHECK(h.failure() == "");
  h.type("h\t\r");
  CHECK(h.lines().back() == "alpha  x");
  CHECK(h.failure() == "");
}

TEST_CASE("long lines wrap, and editing across rows keeps the screen right") {
  for (size_t columns : {7u, 8u, 10u, 13u, 80u}) {
    INFO("columns " << columns);
    EditorHarness h(columns);
    std::string text = "the quick brown fox jumps over the lazy dog";
    h.type(text);
    CHECK(h.failure() == "");
    h.type("\x01" + esc("[C") + esc("[C") + "XY" + esc("[F") + "\x7f\x7f" + esc("[1;5D") + "\x17" +
           "\x0c" + esc("[H") + esc("[3~") +
           "\x0b"
           "abc" +
           esc("[A") + esc("[B"));
    CHECK_MESSAGE(h.failure() == "", h.failure());
    h.type("\r");
    CHECK(h.failure() == "");
  }
}

TEST_CASE("a prompt that fills a row exactly, and an empty prompt") {
  for (std::string prompt : {std::string("12345678"), std::string(""), std::string(16, 'p')}) {
    EditorHarness h(8, prompt);
    h.type("abcdefgh" + esc("[D") +
           "x\x7f"
           "\x01" +
           esc("[3~") + "\r");
    CHECK_MESSAGE(h.failure() == "", h.failure());
    CHECK(h.lines().back() == "bcdefgh");
  }
}

TEST_CASE("random streams of every byte keep every promise") {
  std::mt19937 rng(20240601);
  // Bytes from the interesting part of the alphabet, and raw random ones.
  const std::string keys =
      "\x1b[O;01234579~ABCDHFPQ\r\n\x03\x04\x7f\b\t\x01\x05\x15\x17\x0b\x0c"
      "\x10\x0e\x02\x06"
      "abc /";
  for (int run = 0; run < 3000; run++) {
    size_t columns = 4 + rng() % 60;
    EditorHarness h(columns, std::string(rng() % 12, '>'));
    h.candidates = {"alpha", "alps", "beta", "/proc/", "/proc/1/", "/proc/12/status"};
    for (const char* old : {"history one", "history two", "ls /proc"}) h.history().add(old);
    std::string stream;
    size_t n = rng() % 400;
    for (size_t i = 0; i < n; i++) {
      unsigned r = rng();
      stream += r % 3 ? keys[r / 3 % keys.size()] : static_cast<char>(r >> 8);
      if (r % 29 == 0) stream += '\xff';  // the marker: a quiet console here
    }
    h.type(stream, 0xff);
    INFO("run " << run);
    REQUIRE_MESSAGE(h.failure() == "", h.failure());
    h.quiet();
    h.type(
        "\x03"
        "echo ok\r");
    REQUIRE(h.lines().size() >= 1);
    CHECK(h.lines().back() == "echo ok");
    CHECK(h.failure() == "");
  }
}
