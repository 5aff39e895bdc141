// The shell's pure command-line parts: splitting a line into commands
// (user/shell/command_line.h), numbers typed by a person (number.h), and
// statuses and errors in words (status_words.h).
#include <doctest/doctest.h>
#include <keel/status.h>

#include <string>
#include <vector>

#include "../../user/shell/command_line.h"
#include "../../user/shell/number.h"
#include "../../user/shell/status_words.h"

using shell::CommandLine;
using shell::NumberError;
using shell::ParseError;

namespace {
// Each command as its words joined by '|', "&" appended for background.
std::vector<std::string> parse(const std::string& line, ParseError expect = ParseError::None) {
  static CommandLine cl;
  ParseError e = shell::parse_command_line(libk::StringView(line.data(), line.size()), cl);
  CHECK(e == expect);
  std::vector<std::string> out;
  for (size_t i = 0; i < cl.count; i++) {
    std::string s;
    for (size_t w = 0; w < cl.commands[i].count; w++) {
      if (w) s += '|';
      s.append(cl.commands[i].words[w].data(), cl.commands[i].words[w].size());
    }
    if (cl.commands[i].background) s += '&';
    out.push_back(s);
  }
  return out;
}
using V = std::vector<std::string>;
}  // namespace

TEST_CASE("words, separators, comments and background") {
  CHECK(parse("echo  hello   world") == V{"echo|hello|world"});
  CHECK(parse("") == V{});
  CHECK(parse("   \t ") == V{});
  CHECK(parse("# a comment") == V{});
  CHECK(parse("echo a # comment ; echo b") == V{"echo|a"});
  CHECK(parse("echo a#b") == V{"echo|a#b"});
  CHECK(parse("echo a;#b") == V{"echo|a"});
  CHECK(parse("echo a; echo b;echo c") == V{"echo|a", "echo|b", "echo|c"});
  CHECK(parse(";; echo a ;;") == V{"echo|a"});
  CHECK(parse("spin &") == V{"spin&"});
  CHECK(parse("spin&") == V{"spin&"});
  CHECK(parse("spin & ; hello") == V{"spin&", "hello"});
  CHECK(parse("sleeper 5&;ps") == V{"sleeper|5&", "ps"});
}

TEST_CASE("what the shell refuses, and that a refused line runs nothing") {
  CHECK(parse("echo a | cat", ParseError::Pipe).empty());
  CHECK(parse("echo a > x", ParseError::Redirect).empty());
  CHECK(parse("cat < x", ParseError::Redirect).empty());
  CHECK(parse("hello && hello", ParseError::AndOr).empty());
  CHECK(parse("hello || hello", ParseError::AndOr).empty());
  CHECK(parse("echo ok; echo a|b", ParseError::Pipe).empty());
  CHECK(parse("a & b", ParseError::StrayAmpersand).empty());
  CHECK(parse("a&b", ParseError::StrayAmpersand).empty());
  CHECK(parse("&", ParseError::StrayAmpersand).empty());
  CHECK(parse("echo # | > are fine in a comment") == V{"echo"});
  std::string many = "x";
  for (int i = 0; i < 40; i++) many += " w";
  CHECK(parse(many, ParseError::TooManyWords).empty());
  std::string cmds;
  for (int i = 0; i < 20; i++) cmds += "a;";
  CHECK(parse(cmds, ParseError::TooManyCommands).empty());
  CHECK(std::string(shell::parse_error_message(ParseError::Pipe)) == "pipes are not supported");
}

TEST_CASE("$? expands to the last status") {
  static CommandLine cl;
  std::string line = "echo $? x$?y $ ?$";
  REQUIRE(shell::parse_command_line(libk::StringView(line.data(), line.size()), cl) ==
          ParseError::None);
  char arena[64];
  char* argv[shell::MAX_WORDS + 1];
  REQUIRE(shell::expand_words(cl.commands[0], -9, arena, sizeof(arena), argv));
  CHECK(std::string(argv[0]) == "echo");
  CHECK(std::string(argv[1]) == "-9");
  CHECK(std::string(argv[2]) == "x-9y");
  CHECK(std::string(argv[3]) == "$");
  CHECK(std::string(argv[4]) == "?$");
  CHECK(argv[5] == nullptr);
  CHECK_FALSE(shell::expand_words(cl.commands[0], 123456789, arena, 12, argv));
}

TEST_CASE("numbers: whole words, overflow detected, ranges") {
  int64_t v = 7;
  CHECK(shell::parse_int("42", 0, 100, &v) == NumberError::None);
  CHECK(v == 42);
  CHECK(shell::parse_int("-7", INT64_MIN, INT64_MAX, &v) == NumberError::None);
  CHECK(v == -7);
  CHECK(shell::parse_int("+3", 0, 9, &v) == NumberError::None);
  CHECK(v == 3);
  CHECK(shell::parse_int("9223372036854775807", INT64_MIN, INT64_MAX, &v) == NumberError::None);
  CHECK(v == INT64_MAX);
  CHECK(shell::parse_int("-9223372036854775808", INT64_MIN, INT64_MAX, &v) == NumberError::None);
  CHECK(v == INT64_MIN);
  v = 5;
  CHECK(shell::parse_int("9223372036854775808", INT64_MIN, INT64_MAX, &v) ==
        NumberError::OutOfRange);
  CHECK(shell::parse_int("99999999999999999999", INT64_MIN, INT64_MAX, &v) ==
        NumberError::OutOfRange);
  CHECK(shell::parse_int("-9223372036854775809", INT64_MIN, INT64_MAX, &v) ==
        NumberError::OutOfRange);
  CHECK(shell::parse_int("101", 0, 100, &v) == NumberError::OutOfRange);
  CHECK(shell::parse_int("-1", 0, 100, &v) == NumberError::OutOfRange);
  CHECK(shell::parse_int("", 0, 100, &v) == NumberError::NotANumber);
  CHECK(shell::parse_int("-", 0, 100, &v) == NumberError::NotANumber);
  CHECK(shell::parse_int("12x", 0, 100, &v) == NumberError::NotANumber);
  CHECK(shell::parse_int("99999999999999999999x", INT64_MIN, INT64_MAX, &v) ==
        NumberError::NotANumber);
  CHECK(shell::parse_int(" 1", 0, 100, &v) == NumberError::NotANumber);
  CHECK(v == 5);  // untouched by every failure
  static_assert([] {
    int64_t x = 0;
    return shell::parse_int("-0", 0, 0, &x) == NumberError::None && x == 0;
  }());
}

TEST_CASE("statuses and errors in words") {
  char buf[32];
  CHECK(std::string(shell::exit_words(0, buf, sizeof(buf))) == "exit 0");
  CHECK(std::string(shell::exit_words(3, buf, sizeof(buf))) == "exit 3");
  CHECK(std::string(shell::exit_words(-9, buf, sizeof(buf))) == "killed");
  CHECK(std::string(shell::exit_words(-11, buf, sizeof(buf))) == "fault");
  CHECK(std::string(shell::exit_words(-7, buf, sizeof(buf))) == "exit -7");
  using shell::Subject;
  CHECK(std::string(shell::error_phrase(ERR_NOT_FOUND, Subject::Program)) == "no such program");
  CHECK(std::string(shell::error_phrase(ERR_NOT_FOUND, Subject::File)) ==
        "no such file or directory");
  CHECK(std::string(shell::error_phrase(ERR_INVALID_ARGS, Subject::File)) == "is a directory");
  CHECK(std::string(shell::error_phrase(ERR_INVALID_ARGS, Subject::Directory)) ==
        "not a directory");
  CHECK(std::string(shell::error_phrase(ERR_ACCESS_DENIED, Subject::Other)) == "permission denied");
  CHECK(std::string(shell::error_phrase(ERR_CORRUPT, Subject::Program)) == "not a valid program");
  for (int32_t s = 0; s >= -40; s--) {  // every status has words, none is a raw name
    std::string w = shell::error_phrase(s, Subject::Other);
    CHECK(w.find("ERR_") == std::string::npos);
    CHECK_FALSE(w.empty());
  }
}
