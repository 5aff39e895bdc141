// Console bytes to keys: the one place that knows what terminals send.
//
// A byte is a key by itself (a printable character, Enter, Ctrl-A...) or
// part of an escape sequence: ESC [ params final (CSI: arrows, Home/End,
// Delete, Ctrl-arrows as ESC [ 1 ; 5 C), ESC O x (SS3: F1-F4 and the arrows
// of application-cursor mode), ESC x (Alt-x), ESC ] ... (string sequences,
// ended by BEL or ESC \). Invariants:
//  - a sequence is consumed whole, the keys it does not know included: no
//    byte of a sequence ever comes out as a character;
//  - a control byte (Enter, Ctrl-C, ...) inside an unfinished sequence ends
//    the sequence and then acts as itself, so a stray ESC can never swallow
//    an Enter or a Ctrl-C;
//  - a sequence left unfinished when the input goes quiet is dropped by
//    timeout(): a lone Esc key does nothing, and the next key is itself.
// The decoder holds a few bytes of state and makes no syscalls; the console
// driver calls timeout() when no byte came for the key timeout while
// in_sequence() is true.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace shell {

enum class Key : uint8_t {
  None,  // nothing complete yet, or a byte or sequence that means nothing here
  Char,  // a printable ASCII character, in KeyEvent::ch
  Enter,
  Tab,
  Backspace,
  Delete,  // the character under the cursor
  Left,
  Right,
  Up,
  Down,
  Home,
  End,
  WordLeft,
  WordRight,
  KillWordLeft,   // Ctrl-W, Alt-Backspace
  KillWordRight,  // Alt-D
  KillToStart,    // Ctrl-U
  KillToEnd,      // Ctrl-K
  Interrupt,      // Ctrl-C
  EndOfInput,     // Ctrl-D
  ClearScreen,    // Ctrl-L
};

struct KeyEvent {
  Key key;
  char ch;  // for Key::Char
};

class KeyDecoder {
 public:
  // The key `byte` completes, or Key::None.
  KeyEvent feed(uint8_t byte);
  // The input went quiet: an unfinished sequence (a lone Esc) is dropped.
  void timeout() { state_ = State::Ground; }
  // Inside an escape sequence: the driver should call timeout() if no byte
  // comes for a while.
  bool in_sequence() const { return state_ != State::Ground; }

 private:
  enum class State : uint8_t {
    Ground,
    Escape,        // after ESC
    Intermediate,  // ESC followed by 0x20-0x2f: until a final byte
    Csi,           // ESC [
    Ss3,           // ESC O
    LinuxFkey,     // ESC [ [ : one more byte (the Linux console's F1-F5)
    String,        // ESC ] / P / X / ^ / _ : until BEL or ESC backslash
    StringEscape,  // ESC inside a string: a backslash ends it
  };
  KeyEvent ground(uint8_t byte);
  KeyEvent escape(uint8_t byte);
  KeyEvent csi(uint8_t byte);
  KeyEvent ss3(uint8_t byte);
  KeyEvent csi_final(uint8_t final) const;
  // A control byte that ends an unfinished sequence and acts as itself.
  KeyEvent abort_with(uint8_t byte);

  static constexpr size_t MAX_PARAMS = 2;  // every key sequence needs at most "1;5"
  State state_ = State::Ground;
  bool after_cr_ = false;  // the LF of a CR LF is not a second Enter
  bool odd_ = false;       // the CSI has private or intermediate bytes: no key
  uint8_t nparams_ = 0;
  uint16_t params_[MAX_PARAMS] = {};
};

}  // namespace shell
