// OwningList: an intrusive list that owns one counted reference per element.
//
// This is how "a Ready task is owned by exactly one run queue, a Blocked one
// by exactly one wait queue" is enforced by the type system rather than by
// care: push_back() only accepts an rvalue RefPtr (the caller's reference
// moves in), and pop_front()/remove() hand back a RefPtr (the reference moves
// out). No operation copies a reference, so moving an element between
// lists leaves its count unchanged, and the count of a task that blocks and
// wakes a million times is the same before and after.
//
// The element's ListNode says which list holds it: a node is in at most one
// list (IntrusiveList asserts it), so an element has at most one owning list.
// A list must be empty when destroyed; drain() releases what it still holds.
#pragma once
#include <libk/assert.h>
#include <libk/list.h>
#include <libk/refptr.h>

#include <utility>

namespace libk {

// Counted as for IntrusiveList.
template <typename T, ListNode T::*Member, bool Counted = true>
class OwningList {
 public:
  OwningList() = default;
  OwningList(const OwningList&) = delete;
  OwningList& operator=(const OwningList&) = delete;
  ~OwningList() { LIBK_ASSERT(list_.empty()); }

  // The reference in `ref` now belongs to the list.
  void push_back(RefPtr<T>&& ref) {
    LIBK_ASSERT(ref);
    list_.push_back(*ref.leak_ref());
  }
  void push_front(RefPtr<T>&& ref) {
    LIBK_ASSERT(ref);
    list_.push_front(*ref.leak_ref());
  }

  // The last element, still owned by the list (null if empty).
  T* back() { return list_.back(); }

  // The first element with the list's reference, or null if empty.
  RefPtr<T> pop_front() {
    T* t = list_.pop_front();
    return t ? adopt(t) : RefPtr<T>();
  }

  // Take `item` out, with the list's reference. It must be in this list:
  // owners know which list holds an element (a task's waiting_on, its state)
  // and check that in O(1); contains() is there for tests and assertions.
  [[gnu::always_inline]] RefPtr<T> remove(T& item) {
    list_.remove(item);
    return adopt(&item);
  }

  // Insert before the first element for which before(new, existing) holds,
  // keeping the list ordered (stable: equal keys keep insertion order).
  template <typename Less>
  void insert_sorted(RefPtr<T>&& ref, Less before) {
    LIBK_ASSERT(ref);
    T* item = ref.leak_ref();
    for (T& existing : list_) {
      if (before(*item, existing)) {
        list_.insert_before(existing, *item);
        return;
      }
    }
    list_.push_back(*item);
  }

  // Release every reference the list holds.
  void drain() {
    while (RefPtr<T> r = pop_front()) {
    }
  }

  bool empty() const { return list_.empty(); }
  size_t size() const { return list_.size(); }
  bool contains(const T& item) const { return list_.contains(item); }
  T* front() { return list_.front(); }
  auto begin() { return list_.begin(); }
  auto end() { return list_.end(); }

 private:
  IntrusiveList<T, Member, Counted> list_;
};

}  // namespace libk
