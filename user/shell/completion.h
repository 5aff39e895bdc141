// What Tab offers: builtins and programs for the first word of a command
// (and after `spawn` or `time`), procfs paths for a word that starts with
// '/'. Asks procfs, so it lives outside the pure line editor.
#pragma once
#include "line_editor.h"

namespace shell {

Completer completer();

}  // namespace shell
