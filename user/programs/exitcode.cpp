// exitcode [N]: exits with status N (default 0). N is any 64-bit integer;
// anything else (12x, 99999999999999999999) is refused in words, status 2,
// never wrapped or cut at the first non-digit.
#include "../shell/number.h"
#include "keel.h"

int main(int argc, char** argv) {
  if (argc > 2) {
    keel::printf("usage: exitcode [N]\n");
    return 2;
  }
  int64_t n = 0;
  if (argc == 2) {
    shell::NumberError e = shell::parse_int(libk::StringView(argv[1]), INT64_MIN, INT64_MAX, &n);
    if (e != shell::NumberError::None) {
      keel::printf("exitcode: %s: %s\n", argv[1], shell::number_error_phrase(e));
      return 2;
    }
  }
  keel::exit(n);
}
