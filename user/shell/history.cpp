#include "history.h"

namespace shell {

void History::add(libk::StringView line) {
  bool blank = true;
  for (char c : line) blank &= c == ' ' || c == '\t';
  if (blank || line.size() > LINE_CAP) return;
  if (count_ > 0 && get(0) == line) return;
  Entry& e = entries_[next_];
  memcpy(e.text, line.data(), line.size());
  e.len = static_cast<uint16_t>(line.size());
  next_ = (next_ + 1) % CAPACITY;
  if (count_ < CAPACITY) count_++;
  total_++;
}

libk::StringView History::get(size_t age) const {
  LIBK_ASSERT(age < count_);
  const Entry& e = entries_[(next_ + CAPACITY - 1 - age) % CAPACITY];
  return libk::StringView(e.text, e.len);
}

}  // namespace shell
