// printf-style formatting: parser and integer/string emitters. See format.h
// for what is supported and where behaviour differs from C's printf.
#include <libk/format.h>
#include <stdint.h>

#include <type_traits>

namespace libk {
namespace {

enum class Length { None, HH, H, L, LL, Z, J, T };

struct Spec {
  bool left = false;   // '-'
  bool zero = false;   // '0'
  bool plus = false;   // '+'
  bool space = false;  // ' '
  bool alt = false;    // '#'
  int width = 0;
  int precision = -1;  // -1: none given
  Length length = Length::None;
};

// Counts every char so the caller learns the full length even when the sink
// discards (a full buffer).
class Sink {
 public:
  Sink(FormatPut put, void* ctx) : put_(put), ctx_(ctx) {}
  void put(char c) {
    put_(ctx_, c);
    ++count_;
  }
  void repeat(char c, size_t n) {
    for (size_t i = 0; i < n; ++i) put(c);
  }
  void write(const char* s, size_t n) {
    for (size_t i = 0; i < n; ++i) put(s[i]);
  }
  size_t count() const { return count_; }

 private:
  FormatPut put_;
  void* ctx_;
  size_t count_ = 0;
};

// A va_list inside a struct can be passed by reference portably; a va_list
// parameter cannot (on x86-64 it is an array and decays to a pointer).
struct Args {
  va_list ap;
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Parses a decimal number, saturating instead of overflowing.
int parse_number(const char*& p) {
  int v = 0;
  for (; is_digit(*p); ++p) {
    int d = *p - '0';
    v = v > (INT32_MAX - d) / 10 ? INT32_MAX : v * 10 + d;
  }
  return v;
}

Length parse_length(const char*& p) {
  switch (*p) {
    case 'h':
      ++p;
      if (*p == 'h') {
        ++p;
        return Length::HH;
      }
      return Length::H;
    case 'l':
      ++p;
      if (*p == 'l') {
        ++p;
        return Length::LL;
      }
      return Length::L;
    case 'z':
      ++p;
      return Length::Z;
    case 'j':
      ++p;
      return Length::J;
    case 't':
      ++p;
      return Length::T;
    default:
      return Length::None;
  }
}

int64_t read_signed(Args& a, Length len) {
  switch (len) {
    case Length::HH:
      return static_cast<signed char>(va_arg(a.ap, int));
    case Length::H:
      return static_cast<short>(va_arg(a.ap, int));
    case Length::L:
      return va_arg(a.ap, long);
    case Length::LL:
      return va_arg(a.ap, long long);
    case Length::Z:
      return va_arg(a.ap, std::make_signed_t<size_t>);
    case Length::J:
      return va_arg(a.ap, intmax_t);
    case Length::T:
      return va_arg(a.ap, ptrdiff_t);
    case Length::None:
      break;
  }
  return va_arg(a.ap, int);
}

uint64_t read_unsigned(Args& a, Length len) {
  switch (len) {
    case Length::HH:
      return static_cast<unsigned char>(va_arg(a.ap, unsigned));
    case Length::H:
      return static_cast<unsigned short>(va_arg(a.ap, unsigned));
    case Length::L:
      return va_arg(a.ap, unsigned long);
    case Length::LL:
      return va_arg(a.ap, unsigned long long);
    case Length::Z:
      return va_arg(a.ap, size_t);
    case Length::J:
      return va_arg(a.ap, uintmax_t);
    case Length::T:
      return va_arg(a.ap, std::make_unsigned_t<ptrdiff_t>);
    case Length::None:
      break;
  }
  return va_arg(a.ap, unsigned);
}

size_t pad_for(const Spec& s, size_t used) {
  return static_cast<size_t>(s.width) > used ? static_cast<size_t>(s.width) - used : 0;
}

// Layout: [spaces][sign][prefix][zeros][digits][spaces]; which padding is
// used follows C: '-' pads on the right, '0' pads with zeros after the
// prefix unless a precision is given, otherwise spaces go on the left.
void emit_integer(Sink& out, const Spec& s, uint64_t magnitude, bool negative, bool is_signed,
                  unsigned base, bool upper, const char* prefix) {
  const char* digit_chars = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char digits[24];  // 22 octal digits hold 64 bits
  size_t ndigits = 0;
  // An explicit zero precision prints no digits at all for the value 0.
  if (magnitude != 0 || s.precision != 0) {
    do {
      digits[ndigits++] = digit_chars[magnitude % base];
      magnitude /= base;
    } while (magnitude != 0);
  }

  size_t zeros = s.precision > 0 && static_cast<size_t>(s.precision) > ndigits
                     ? static_cast<size_t>(s.precision) - ndigits
                     : 0;
  // '#' with %o makes the first digit a 0, adding one only if needed.
  if (s.alt && base == 8 && zeros == 0 && (ndigits == 0 || digits[ndigits - 1] != '0')) zeros = 1;

  char sign = 0;
  if (negative)
    sign = '-';
  else if (is_signed && s.plus)
    sign = '+';
  else if (is_signed && s.space)
    sign = ' ';

  size_t prefix_len = 0;
  while (prefix[prefix_len] != '\0') ++prefix_len;

  size_t pad = pad_for(s, (sign != 0) + prefix_len + zeros + ndigits);
  bool zero_pad = s.zero && !s.left && s.precision < 0;
  if (!s.left && !zero_pad) out.repeat(' ', pad);
  if (sign != 0) out.put(sign);
  out.write(prefix, prefix_len);
  out.repeat('0', zeros + (zero_pad ? pad : 0));
  while (ndigits > 0) out.put(digits[--ndigits]);
  if (s.left) out.repeat(' ', pad);
}

void emit_text(Sink& out, const Spec& s, const char* text, size_t len) {
  size_t pad = pad_for(s, len);
  if (!s.left) out.repeat(' ', pad);
  out.write(text, len);
  if (s.left) out.repeat(' ', pad);
}

void emit_string(Sink& out, const Spec& s, const char* str) {
  if (str == nullptr) str = "(null)";
  // Stop at the precision without reading further: the argument need not
  // be NUL-terminated then ("%.*s" over a byte buffer).
  size_t len = 0;
  while ((s.precision < 0 || len < static_cast<size_t>(s.precision)) && str[len] != '\0') ++len;
  emit_text(out, s, str, len);
}

// Handles one conversion starting after the '%'; returns the char after it,
// or the terminating NUL if the format ends inside the conversion.
const char* convert(Sink& out, Args& args, const char* spec_start) {
  const char* p = spec_start + 1;
  Spec s;
  for (;; ++p) {
    if (*p == '-')
      s.left = true;
    else if (*p == '0')
      s.zero = true;
    else if (*p == '+')
      s.plus = true;
    else if (*p == ' ')
      s.space = true;
    else if (*p == '#')
      s.alt = true;
    else
      break;
  }
  if (*p == '*') {
    ++p;
    int w = va_arg(args.ap, int);
    // A negative width argument means '-' with that width.
    if (w < 0) {
      s.left = true;
      w = w == INT32_MIN ? INT32_MAX : -w;
    }
    s.width = w;
  } else {
    s.width = parse_number(p);
  }
  if (*p == '.') {
    ++p;
    if (*p == '*') {
      ++p;
      int prec = va_arg(args.ap, int);
      s.precision = prec < 0 ? -1 : prec;  // negative: as if none was given
    } else {
      s.precision = parse_number(p);
    }
  }
  s.length = parse_length(p);

  const char conv = *p;
  switch (conv) {
    case 'd':
    case 'i': {
      int64_t v = read_signed(args, s.length);
      // Negate in unsigned arithmetic so INT64_MIN does not overflow.
      uint64_t mag = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
      emit_integer(out, s, mag, v < 0, true, 10, false, "");
      return p + 1;
    }
    case 'u':
      emit_integer(out, s, read_unsigned(args, s.length), false, false, 10, false, "");
      return p + 1;
    case 'o':
      emit_integer(out, s, read_unsigned(args, s.length), false, false, 8, false, "");
      return p + 1;
    case 'x':
    case 'X': {
      uint64_t v = read_unsigned(args, s.length);
      const char* prefix = s.alt && v != 0 ? (conv == 'x' ? "0x" : "0X") : "";
      emit_integer(out, s, v, false, false, 16, conv == 'X', prefix);
      return p + 1;
    }
    case 'p': {
      auto v = reinterpret_cast<uintptr_t>(va_arg(args.ap, const void*));
      emit_integer(out, s, v, false, false, 16, false, "0x");
      return p + 1;
    }
    case 'c':
      if (s.length == Length::None) {
        char c = static_cast<char>(va_arg(args.ap, int));
        emit_text(out, s, &c, 1);
        return p + 1;
      }
      (void)va_arg(args.ap, unsigned);  // wide char: skip it, keep args aligned
      break;
    case 's':
      if (s.length == Length::None) {
        emit_string(out, s, va_arg(args.ap, const char*));
        return p + 1;
      }
      (void)va_arg(args.ap, const void*);  // wide string: skip it
      break;
    case '%':
      out.put('%');
      return p + 1;
    case '\0':
      out.write(spec_start, static_cast<size_t>(p - spec_start));
      return p;
    default:
      break;
  }
  // Unsupported: show the conversion as written so the mistake is visible.
  out.write(spec_start, static_cast<size_t>(p + 1 - spec_start));
  return p + 1;
}

struct BufferSink {
  char* buf;
  size_t cap;
  size_t len;
};

void put_buffer(void* ctx, char c) {
  auto* b = static_cast<BufferSink*>(ctx);
  if (b->len + 1 < b->cap) b->buf[b->len] = c;
  ++b->len;
}

}  // namespace

size_t vformat(FormatPut put, void* ctx, const char* fmt, va_list ap) {
  Sink out(put, ctx);
  Args args;
  va_copy(args.ap, ap);
  const char* p = fmt;
  while (*p != '\0') {
    if (*p != '%') {
      out.put(*p++);
      continue;
    }
    p = convert(out, args, p);
  }
  va_end(args.ap);
  return out.count();
}

size_t format_to(FormatPut put, void* ctx, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t n = vformat(put, ctx, fmt, ap);
  va_end(ap);
  return n;
}

size_t vformat(char* buf, size_t cap, const char* fmt, va_list ap) {
  BufferSink b{buf, cap, 0};
  size_t n = vformat(put_buffer, &b, fmt, ap);
  if (cap > 0) buf[n < cap ? n : cap - 1] = '\0';
  return n;
}

size_t format(char* buf, size_t cap, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t n = vformat(buf, cap, fmt, ap);
  va_end(ap);
  return n;
}

}  // namespace libk
