// The lines a person entered, newest last, for Up/Down recall and the
// `history` command. A fixed ring: when it is full the oldest line goes.
// Blank lines and a repeat of the newest line are not kept. Pure, no
// syscalls; constant-initialised, so it can be a global in user space
// (which runs no constructors).
#pragma once
#include <libk/string.h>
#include <stddef.h>
#include <stdint.h>

namespace shell {

class History {
 public:
  static constexpr size_t CAPACITY = 64;
  static constexpr size_t LINE_CAP = 255;  // longer lines are not kept

  void add(libk::StringView line);
  size_t size() const { return count_; }
  // The entry `age` lines back: 0 is the newest. age < size().
  libk::StringView get(size_t age) const;
  // Lines entered since the shell started (numbers for `history`).
  uint64_t total() const { return total_; }

 private:
  struct Entry {
    uint16_t len;
    char text[LINE_CAP];
  };
  Entry entries_[CAPACITY] = {};
  size_t next_ = 0;   // slot the next line goes to
  size_t count_ = 0;  // <= CAPACITY
  uint64_t total_ = 0;
};

}  // namespace shell
