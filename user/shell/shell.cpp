// The Keel shell. Startup handles: 0 = a client endpoint of procfs,
// 1 = the process directory with POWER only. Everything it shows about
// processes comes from procfs (ps, ls, cat, top); it can kill and wait only
// for the processes it started itself (it holds their handles), which is
// the capability model at work rather than a limitation to hide.
//
// This file is the loop: read a line (console.h, line_editor.h), parse it
// (command_line.h), run each command (commands.h), keep $?.
#include "shell.h"

#include <libk/format.h>
#include <libk/string.h>

#include "command_line.h"
#include "commands.h"
#include "completion.h"
#include "console.h"
#include "history.h"
#include "jobs.h"
#include "line_editor.h"

namespace shell {

keel_handle_t procfs_service, power;

namespace {
History history_ring;
int64_t last_status;  // $?
uint64_t failures;    // commands that failed since the shell started
bool current_failed;  // fail() was called for the running command

void run_line(libk::StringView text) {
  static CommandLine line;
  ParseError e = parse_command_line(text, line);
  if (e != ParseError::None) {
    last_status = fail("shell: %s\n", parse_error_message(e));
    failures++;
    return;
  }
  for (size_t i = 0; i < line.count; i++) {
    static char arena[History::LINE_CAP * 2 + MAX_WORDS * 24];
    static char* argv[MAX_WORDS + 1];
    const Command& cmd = line.commands[i];
    current_failed = false;
    int64_t status;
    if (!expand_words(cmd, last_status, arena, sizeof(arena), argv))
      status = fail("shell: line too long after $? expansion\n");
    else
      status = run_command(cmd.count, argv, cmd.background);
    if (status != 0 || current_failed) failures++;
    last_status = status != 0 ? status : current_failed ? 1 : 0;
    jobs::reap();
  }
}
}  // namespace

History& history() { return history_ring; }

void refuse_line(const char* fmt, size_t n) {
  keel::printf(fmt, n);
  last_status = 1;
  failures++;
}

int64_t fail(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  keel::vprintf(fmt, ap);
  va_end(ap);
  current_failed = true;
  return 1;
}

int64_t cmd_status(size_t, char**) {
  keel::printf("status: %lu commands failed, last status %ld\n", failures, last_status);
  return last_status;
}

}  // namespace shell

int main(int, char**) {
  using shell::LineEditor;
  shell::procfs_service = keel::startup_handle(0);
  shell::power = keel::startup_handle(1);
  keel::printf("Keel shell. Type 'help' for commands and programs.\n");
  static LineEditor editor(shell::console::output(), &shell::history(), shell::completer(), 80);
  for (;;) {
    shell::jobs::reap();
    size_t dropped = shell::console::take_dropped();
    if (dropped) keel::printf("shell: type-ahead full: %zu bytes dropped\n", dropped);
    switch (shell::console::read_line(editor, "keel> ")) {
      case LineEditor::Event::EndOfInput:
        keel::printf("\n");
        shell::jobs::kill_all();
        return 0;
      case LineEditor::Event::None:
      case LineEditor::Event::Cancelled:
        continue;
      case LineEditor::Event::TooLong:
        shell::refuse_line("shell: line too long (at most %zu characters); nothing was run\n",
                           LineEditor::LINE_CAP);
        continue;
      case LineEditor::Event::Line:
        shell::run_line(editor.line());
        break;
    }
  }
}
