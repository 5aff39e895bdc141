// chatter COPIES LINES: runs COPIES copies of itself at once (this one
// included, at most 8), each printing LINES lines of one known shape as fast
// as it can, and returns once every copy has ended. On several harts their
// lines race for the console; each must still arrive whole (the console
// suite checks that every line it sees is one of these, entire).
#include <libk/string.h>

#include "keel.h"

namespace {
constexpr uint64_t MAX_COPIES = 8;

void chat(char tag, uint64_t lines) {
  for (uint64_t i = 0; i < lines; i++)
    keel::printf(
        "chatter %c line %4lu: the quick brown fox jumps over the lazy dog 0123456789 end\n", tag,
        i);
}

bool number(const char* s, uint64_t* out) {
  const char* end = libk::parse_u64(s, out);
  return end && *end == '\0';
}
}  // namespace

int main(int argc, char** argv) {
  uint64_t copies = 0, lines = 0;
  // A copy: chatter copy TAG LINES.
  if (argc == 4 && libk::str_eq(argv[1], "copy") && number(argv[3], &lines)) {
    chat(argv[2][0], lines);
    return 0;
  }
  if (argc != 3 || !number(argv[1], &copies) || !number(argv[2], &lines) || copies == 0 ||
      copies > MAX_COPIES) {
    keel::printf("usage: chatter COPIES LINES (COPIES 1 to %lu)\n", MAX_COPIES);
    return 2;
  }
  keel_handle_t others[MAX_COPIES];
  char tags[MAX_COPIES][2];
  uint64_t started = 0;
  for (uint64_t c = 1; c < copies; c++) {
    tags[c][0] = static_cast<char>('a' + c);
    tags[c][1] = '\0';
    const char* args[] = {"copy", tags[c], argv[2]};
    if (keel::spawn("chatter", args, 3, nullptr, 0, &others[started]) != KEEL_OK) break;
    started++;
  }
  chat('a', lines);
  int status = started == copies - 1 ? 0 : 1;
  for (uint64_t c = 0; c < started; c++) {
    int64_t code = -1;
    if (keel::process_wait(others[c], &code, KEEL_TIMEOUT_INFINITE) != KEEL_OK || code != 0)
      status = 1;
    keel::handle_close(others[c]);
  }
  return status;
}
