// Decimal numbers typed by a person: the one parser every command (and the
// exitcode program) uses, so "12x", "" and 99999999999999999999 are refused
// the same way everywhere instead of wrapping or stopping at the first
// non-digit. Header-only and free of syscalls: the host tests use it as is.
#pragma once
#include <libk/string.h>
#include <stdint.h>

namespace shell {

enum class NumberError : uint8_t {
  None,
  NotANumber,  // empty, a sign alone, or any byte that is not a digit
  OutOfRange,  // a valid number outside [min, max] (overflow included)
};

// Parses an optional sign and one or more decimal digits, the whole of `s`.
// *out is written only on NumberError::None. Never overflows: the magnitude
// is checked against the limit before every digit is added.
constexpr NumberError parse_int(libk::StringView s, int64_t min, int64_t max, int64_t* out) {
  size_t i = 0;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) return NumberError::NotANumber;
  // The largest magnitude allowed on this side of zero (0 if the sign is
  // not allowed at all, e.g. a negative number when min >= 0).
  uint64_t limit = negative ? (min < 0 ? static_cast<uint64_t>(-(min + 1)) + 1 : 0)
                            : (max > 0 ? static_cast<uint64_t>(max) : 0);
  uint64_t magnitude = 0;
  bool too_big = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return NumberError::NotANumber;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (too_big || digit > limit || magnitude > (limit - digit) / 10) {
      too_big = true;  // keep scanning: "99999999999999999999x" is still not a number
      continue;
    }
    magnitude = magnitude * 10 + digit;
  }
  if (too_big) return NumberError::OutOfRange;
  int64_t value = negative ? (magnitude == 0 ? 0 : -static_cast<int64_t>(magnitude - 1) - 1)
                           : static_cast<int64_t>(magnitude);
  if (value < min || value > max) return NumberError::OutOfRange;
  *out = value;
  return NumberError::None;
}

// The words for a NumberError, for messages like "exitcode: 12x: not a number".
constexpr const char* number_error_phrase(NumberError e) {
  return e == NumberError::NotANumber   ? "not a number"
         : e == NumberError::OutOfRange ? "out of range"
                                        : "ok";
}

}  // namespace shell
