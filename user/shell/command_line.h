// What a typed line means, before anything runs: `#` starts a comment,
// `;` separates commands, a final `&` runs a command in the background, and
// `$?` in a word is the last command's status. There is no quoting. Pipes
// (`|`), redirection (`>`, `<`) and `&&`/`||` are refused with a message
// rather than run as something else, and a line with any error runs
// nothing. Pure: no syscalls, host-tested (test/host/test_command_line.cpp).
#pragma once
#include <libk/string.h>
#include <stddef.h>
#include <stdint.h>

namespace shell {

constexpr size_t MAX_WORDS = 32;     // per command: the kernel's KEEL_SPAWN_MAX_ARGS
constexpr size_t MAX_COMMANDS = 16;  // per line

struct Command {
  libk::StringView words[MAX_WORDS];  // views into the parsed line, never empty
  size_t count;                       // at least 1
  bool background;                    // the command ended with `&`
};

struct CommandLine {
  Command commands[MAX_COMMANDS];
  size_t count;  // 0 for a blank line or a comment
};

enum class ParseError : uint8_t {
  None,
  Pipe,             // `|`
  Redirect,         // `>` or `<`
  AndOr,            // `&&` or `||`
  StrayAmpersand,   // `&` anywhere but at the end of a command
  TooManyWords,     // more than MAX_WORDS in one command
  TooManyCommands,  // more than MAX_COMMANDS in one line
};
// The message for a parse error, e.g. "pipes are not supported".
const char* parse_error_message(ParseError e);

// Splits `line` into commands; `out` views into `line`, which must outlive
// it. On error `out.count` is 0.
ParseError parse_command_line(libk::StringView line, CommandLine& out);

// Writes the words of `cmd`, with every `$?` replaced by `last_status` in
// decimal, NUL-terminated into `arena`, and points argv[0..count) at them
// (argv[count] = nullptr; argv has room for MAX_WORDS + 1). False if they
// do not fit in `cap` bytes.
bool expand_words(const Command& cmd, int64_t last_status, char* arena, size_t cap, char** argv);

}  // namespace shell
