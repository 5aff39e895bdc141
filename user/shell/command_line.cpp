#include "command_line.h"

#include <libk/format.h>

namespace shell {
namespace {
using libk::StringView;

bool is_space(char c) { return c == ' ' || c == '\t'; }

// The line up to its comment: a `#` that starts a word (`echo a#b` prints
// a#b, as in sh).
StringView strip_comment(StringView line) {
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] != '#') continue;
    if (i == 0 || is_space(line[i - 1]) || line[i - 1] == ';' || line[i - 1] == '&')
      return line.substr(0, i);
  }
  return line;
}

ParseError check_operators(StringView line) {
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i], next = i + 1 < line.size() ? line[i + 1] : '\0';
    if ((c == '&' && next == '&') || (c == '|' && next == '|')) return ParseError::AndOr;
  }
  for (char c : line) {
    if (c == '|') return ParseError::Pipe;
    if (c == '>' || c == '<') return ParseError::Redirect;
  }
  return ParseError::None;
}

// One `;`-separated piece: its words, and a final `&`.
ParseError parse_command(StringView text, Command& cmd) {
  cmd.count = 0;
  cmd.background = false;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    if (i == text.size()) break;
    size_t start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    StringView word = text.substr(start, i - start);
    if (cmd.background) return ParseError::StrayAmpersand;  // a word after the `&`
    size_t amp = word.find('&');
    if (amp != StringView::npos) {
      if (amp != word.size() - 1) return ParseError::StrayAmpersand;  // `a&b`
      cmd.background = true;
      word = word.substr(0, amp);
      if (word.empty()) continue;  // a lone `&` word
    }
    if (cmd.count == MAX_WORDS) return ParseError::TooManyWords;
    cmd.words[cmd.count++] = word;
  }
  if (cmd.background && cmd.count == 0) return ParseError::StrayAmpersand;  // `&` alone
  return ParseError::None;
}
}  // namespace

const char* parse_error_message(ParseError e) {
  switch (e) {
    case ParseError::None:
      return "ok";
    case ParseError::Pipe:
      return "pipes are not supported";
    case ParseError::Redirect:
      return "redirection is not supported";
    case ParseError::AndOr:
      return "&& and || are not supported (use ; between commands)";
    case ParseError::StrayAmpersand:
      return "& can only end a command";
    case ParseError::TooManyWords:
      return "too many words in one command";
    case ParseError::TooManyCommands:
      return "too many commands in one line";
  }
  return "unreadable line";
}

ParseError parse_command_line(StringView line, CommandLine& out) {
  out.count = 0;
  line = strip_comment(line);
  if (ParseError e = check_operators(line); e != ParseError::None) return e;
  size_t start = 0;
  while (start <= line.size()) {
    size_t end = line.find(';', start);
    if (end == StringView::npos) end = line.size();
    Command& cmd = out.commands[out.count < MAX_COMMANDS ? out.count : MAX_COMMANDS - 1];
    ParseError e = parse_command(line.substr(start, end - start), cmd);
    if (e == ParseError::None && cmd.count > 0) {
      if (out.count == MAX_COMMANDS)
        e = ParseError::TooManyCommands;
      else
        out.count++;
    }
    if (e != ParseError::None) {
      out.count = 0;
      return e;
    }
    start = end + 1;
  }
  return ParseError::None;
}

bool expand_words(const Command& cmd, int64_t last_status, char* arena, size_t cap, char** argv) {
  char status_text[24];
  size_t status_len = libk::format(status_text, sizeof(status_text), "%ld", last_status);
  size_t used = 0;
  auto put = [&](char c) {
    if (used == cap) return false;
    arena[used++] = c;
    return true;
  };
  for (size_t w = 0; w < cmd.count; ++w) {
    argv[w] = arena + used;
    StringView word = cmd.words[w];
    for (size_t i = 0; i < word.size(); ++i) {
      if (word[i] == '$' && i + 1 < word.size() && word[i + 1] == '?') {
        for (size_t k = 0; k < status_len; ++k)
          if (!put(status_text[k])) return false;
        ++i;
        continue;
      }
      if (!put(word[i])) return false;
    }
    if (!put('\0')) return false;
  }
  argv[cmd.count] = nullptr;
  return true;
}

}  // namespace shell
