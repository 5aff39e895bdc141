#include "completion.h"

#include "commands.h"
#include "procfs_client.h"
#include "programs.h"

namespace shell {
namespace {
using libk::StringView;

// The word before the one being completed, in its command (after the last
// ';'), or empty if the word is the command's first.
StringView previous_word(StringView before) {
  size_t semi = before.size();
  while (semi > 0 && before[semi - 1] != ';') semi--;
  StringView cmd = before.substr(semi);
  StringView last;
  for (StringView w; !(w = libk::next_token(cmd, ' ')).empty();) last = w;
  return last;
}

void complete(void*, StringView before, StringView word, Completions& out) {
  if (word.starts_with("/")) return proc::complete_path(word, out);
  StringView prev = previous_word(before);
  if (!prev.empty() && prev != StringView("spawn") && prev != StringView("time")) return;
  for (size_t i = 0; i < builtin_count(); i++)
    if (prev.empty() || prev == StringView("time")) out.add(builtin(i).name);
  for (size_t i = 0; i < program_count(); i++) out.add(program_name(i));
}
}  // namespace

Completer completer() { return Completer{nullptr, complete}; }

}  // namespace shell
