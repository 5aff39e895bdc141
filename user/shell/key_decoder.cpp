#include "key_decoder.h"

namespace shell {
namespace {
constexpr uint8_t ESC = 0x1b, BEL = 0x07, DEL = 0x7f;
constexpr uint16_t PARAM_MAX = 9999;  // larger numbers saturate: no key needs them

constexpr KeyEvent key(Key k) { return KeyEvent{k, 0}; }
constexpr KeyEvent NONE = key(Key::None);

bool is_control(uint8_t b) { return b < 0x20 || b == DEL; }
}  // namespace

KeyEvent KeyDecoder::feed(uint8_t byte) {
  // Every CR is an Enter (a CR ends any sequence), so the LF of a CR LF can
  // be dropped whatever came before the CR.
  bool lf_of_crlf = byte == '\n' && after_cr_;
  after_cr_ = byte == '\r';
  if (lf_of_crlf) return NONE;
  switch (state_) {
    case State::Ground:
      return ground(byte);
    case State::Escape:
      return escape(byte);
    case State::Csi:
      return csi(byte);
    case State::Ss3:
      return ss3(byte);
    case State::Intermediate:
    case State::LinuxFkey:
      if (byte == ESC) {
        state_ = State::Escape;
        return NONE;
      }
      if (is_control(byte)) return abort_with(byte);
      // Intermediate bytes (0x20-0x2f) continue an ESC sequence; anything
      // else ends it.
      if (state_ == State::Intermediate && byte >= 0x20 && byte <= 0x2f) return NONE;
      state_ = State::Ground;
      return NONE;
    case State::String:
      if (byte == BEL)
        state_ = State::Ground;
      else if (byte == ESC)
        state_ = State::StringEscape;
      else if (is_control(byte))
        return abort_with(byte);
      return NONE;
    case State::StringEscape:
      if (byte == '\\') {  // ST: the string is over
        state_ = State::Ground;
        return NONE;
      }
      state_ = State::Escape;  // an ESC that starts something new
      return escape(byte);
  }
  state_ = State::Ground;
  return NONE;
}

KeyEvent KeyDecoder::ground(uint8_t byte) {
  if (byte >= 0x20 && byte < DEL) return KeyEvent{Key::Char, static_cast<char>(byte)};
  switch (byte) {
    case 0x01:
      return key(Key::Home);  // Ctrl-A
    case 0x02:
      return key(Key::Left);  // Ctrl-B
    case 0x03:
      return key(Key::Interrupt);  // Ctrl-C
    case 0x04:
      return key(Key::EndOfInput);  // Ctrl-D
    case 0x05:
      return key(Key::End);  // Ctrl-E
    case 0x06:
      return key(Key::Right);  // Ctrl-F
    case 0x08:
      return key(Key::Backspace);  // Ctrl-H
    case 0x09:
      return key(Key::Tab);
    case 0x0a:
      return key(Key::Enter);  // LF
    case 0x0b:
      return key(Key::KillToEnd);  // Ctrl-K
    case 0x0c:
      return key(Key::ClearScreen);  // Ctrl-L
    case 0x0d:
      return key(Key::Enter);  // CR
    case 0x0e:
      return key(Key::Down);  // Ctrl-N
    case 0x10:
      return key(Key::Up);  // Ctrl-P
    case 0x15:
      return key(Key::KillToStart);  // Ctrl-U
    case 0x17:
      return key(Key::KillWordLeft);  // Ctrl-W
    case ESC:
      state_ = State::Escape;
      return NONE;
    case DEL:
      return key(Key::Backspace);
  }
  return NONE;  // other controls and every byte >= 0x80 (the shell reads ASCII)
}

KeyEvent KeyDecoder::escape(uint8_t byte) {
  state_ = State::Ground;
  switch (byte) {
    case '[':
    case 'O':
      state_ = byte == '[' ? State::Csi : State::Ss3;
      odd_ = false;
      nparams_ = 0;
      params_[0] = params_[1] = 0;
      return NONE;
    case ']':
    case 'P':
    case 'X':
    case '^':
    case '_':  // OSC, DCS, SOS, PM, APC
      state_ = State::String;
      return NONE;
    case ESC:
      state_ = State::Escape;
      return NONE;  // the first Esc meant nothing
    case DEL:
    case 0x08:
      return key(Key::KillWordLeft);  // Alt-Backspace
    case 'b':
    case 'B':
      return key(Key::WordLeft);  // Alt-B
    case 'f':
    case 'F':
      return key(Key::WordRight);  // Alt-F
    case 'd':
    case 'D':
      return key(Key::KillWordRight);  // Alt-D
  }
  if (byte < 0x20) return ground(byte);  // a lone Esc, then Enter, Ctrl-C, ...
  if (byte <= 0x2f) state_ = State::Intermediate;
  return NONE;  // any other Alt-key (a complete two-byte sequence), or a byte >= 0x80
}

KeyEvent KeyDecoder::csi(uint8_t byte) {
  if (byte >= '0' && byte <= '9') {
    if (nparams_ == 0) nparams_ = 1;
    if (nparams_ <= MAX_PARAMS) {
      uint16_t& p = params_[nparams_ - 1];
      p = p > (PARAM_MAX - (byte - '0')) / 10 ? PARAM_MAX
                                              : static_cast<uint16_t>(p * 10 + (byte - '0'));
    }
    return NONE;
  }
  if (byte == ';') {
    if (nparams_ == 0) nparams_ = 1;
    if (nparams_ <= MAX_PARAMS) nparams_++;
    return NONE;
  }
  if ((byte >= 0x20 && byte <= 0x2f) || (byte >= 0x3a && byte <= 0x3f)) {
    odd_ = true;  // intermediates, sub-parameters, private markers: no key of ours
    return NONE;
  }
  if (byte >= 0x40 && byte <= 0x7e) {
    state_ = byte == '[' && nparams_ == 0 && !odd_ ? State::LinuxFkey : State::Ground;
    return csi_final(byte);
  }
  if (byte == ESC) {
    state_ = State::Escape;
    return NONE;
  }
  if (is_control(byte)) return abort_with(byte);
  state_ = State::Ground;  // a byte >= 0x80 ends the sequence
  return NONE;
}

KeyEvent KeyDecoder::csi_final(uint8_t final) const {
  if (odd_) return NONE;
  uint16_t first = nparams_ >= 1 ? params_[0] : 0;
  uint16_t modifier = nparams_ >= 2 ? params_[1] : 1;
  bool word = modifier == 3 || modifier == 5 || modifier == 7;  // Alt, Ctrl, Ctrl-Alt
  switch (final) {
    case 'A':
      return key(Key::Up);
    case 'B':
      return key(Key::Down);
    case 'C':
      return key(word ? Key::WordRight : Key::Right);
    case 'D':
      return key(word ? Key::WordLeft : Key::Left);
    case 'H':
      return key(Key::Home);
    case 'F':
      return key(Key::End);
    case '~':
      switch (first) {
        case 1:
        case 7:
          return key(Key::Home);
        case 4:
        case 8:
          return key(Key::End);
        case 3:
          return key(word ? Key::KillWordRight : Key::Delete);
      }
      return NONE;  // Insert, Page Up/Down, F5-F12, bracketed paste marks
  }
  return NONE;
}

KeyEvent KeyDecoder::ss3(uint8_t byte) {
  if ((byte >= '0' && byte <= '9') || byte == ';' || (byte >= 0x20 && byte <= 0x2f))
    return NONE;  // a modifier, as in ESC O 5 P
  if (byte >= 0x40 && byte <= 0x7e) {
    state_ = State::Ground;
    switch (byte) {
      case 'A':
        return key(Key::Up);
      case 'B':
        return key(Key::Down);
      case 'C':
        return key(Key::Right);
      case 'D':
        return key(Key::Left);
      case 'H':
        return key(Key::Home);
      case 'F':
        return key(Key::End);
      case 'M':
        return key(Key::Enter);  // keypad Enter
    }
    return NONE;  // F1-F4 (P-S) and the rest of the keypad
  }
  if (byte == ESC) {
    state_ = State::Escape;
    return NONE;
  }
  if (is_control(byte)) return abort_with(byte);
  state_ = State::Ground;
  return NONE;
}

KeyEvent KeyDecoder::abort_with(uint8_t byte) {
  state_ = State::Ground;
  return ground(byte);
}

}  // namespace shell
