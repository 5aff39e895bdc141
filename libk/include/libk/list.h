// IntrusiveList: a doubly-linked list threaded through a ListNode member of
// each element, so linking never allocates and unlinking is O(1).
//
// Invariants:
//  - A node is in at most one list at a time; an unlinked node has null
//    prev/next. Linking a linked node or unlinking an unlinked one is a bug
//    and hits LIBK_ASSERT.
//  - A node (so its element) must be unlinked before it is destroyed, and a
//    list must be empty before it is destroyed; otherwise some list would be
//    left pointing at freed memory. Both are checked.
//  - The list does not own its elements. Where a list stands for ownership
//    (a run queue holding a task's reference), the owner moves references in
//    and out explicitly (RefPtr::leak_ref / adopt), never through the list.
//  - size() is a counter kept in step with the links, so it is O(1); a list
//    made with Counted = false keeps none (a load and a store fewer at each
//    link and unlink, for a hot list whose size nobody needs) and its size()
//    walks it (O(n): for tests and assertions).
// To move an element to another list, remove() it and push it there.
#pragma once
#include <libk/assert.h>
#include <stddef.h>

#include <type_traits>

namespace libk {

struct ListNode {
  ListNode* prev = nullptr;
  ListNode* next = nullptr;

  constexpr ListNode() = default;
  // Copying links would put one node's neighbours into another node.
  ListNode(const ListNode&) = delete;
  ListNode& operator=(const ListNode&) = delete;
  ~ListNode() { LIBK_ASSERT(!linked()); }

  bool linked() const { return next != nullptr; }
};

template <typename T, ListNode T::*Member, bool Counted = true>
class IntrusiveList {
 public:
  class Iterator {
   public:
    T& operator*() const { return *owner(node_); }
    T* operator->() const { return owner(node_); }
    Iterator& operator++() {
      node_ = node_->next;
      return *this;
    }
    bool operator==(const Iterator& o) const { return node_ == o.node_; }

   private:
    friend class IntrusiveList;
    explicit Iterator(ListNode* n) : node_(n) {}
    ListNode* node_;
  };

  // The sentinel closes the ring, so insertion and removal never branch on
  // an end of the list.
  constexpr IntrusiveList() { head_.prev = head_.next = &head_; }
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;
  ~IntrusiveList() {
    LIBK_ASSERT(empty());
    head_.prev = head_.next = nullptr;
  }

  bool empty() const { return head_.next == &head_; }
  size_t size() const {
    if constexpr (Counted) {
      return size_;
    } else {
      size_t n = 0;
      for (const ListNode* p = head_.next; p != &head_; p = p->next) n++;
      return n;
    }
  }

  void push_back(T& item) { insert_before(&head_, node(item)); }
  // Link `item` just before `pos`, which must be in this list.
  void insert_before(T& pos, T& item) {
    LIBK_ASSERT(node(pos)->linked());
    insert_before(node(pos), node(item));
  }
  void push_front(T& item) { insert_before(head_.next, node(item)); }

  T* front() { return empty() ? nullptr : owner(head_.next); }
  T* back() { return empty() ? nullptr : owner(head_.prev); }

  T* pop_front() {
    if (empty()) return nullptr;
    ListNode* n = head_.next;
    unlink(n);
    return owner(n);
  }
  T* pop_back() {
    if (empty()) return nullptr;
    ListNode* n = head_.prev;
    unlink(n);
    return owner(n);
  }

  // `item` must be in this list. Being in no list is caught; being in
  // another list is not (that would cost a list pointer per node): use
  // contains() in a LIBK_ASSERT where it matters.
  void remove(T& item) {
    ListNode* n = node(item);
    LIBK_ASSERT(n->linked());
    unlink(n);
  }

  // The element after `item` (which must be in this list), or null.
  T* next(T& item) {
    ListNode* n = node(item)->next;
    return n == &head_ ? nullptr : owner(n);
  }

  // O(n): for assertions and tests.
  bool contains(const T& item) const {
    const ListNode* target = &(item.*Member);
    for (const ListNode* n = head_.next; n != &head_; n = n->next)
      if (n == target) return true;
    return false;
  }

  // Unlinks every element, leaving them in no list.
  void clear() {
    while (pop_front() != nullptr) {
    }
  }

  // Removing the element an iterator points at invalidates that iterator
  // only; drain with pop_front() when every element is to be removed.
  Iterator begin() { return Iterator(head_.next); }
  Iterator end() { return Iterator(&head_); }

 private:
  static ListNode* node(T& item) { return &(item.*Member); }

  // A pointer to data member is, in the Itanium C++ ABI used by both our
  // targets, the member's byte offset; reading it that way avoids forming a
  // member access through a fake object.
  static T* owner(ListNode* n) {
    static_assert(sizeof(Member) == sizeof(ptrdiff_t));
    const ptrdiff_t offset = __builtin_bit_cast(ptrdiff_t, Member);
    return reinterpret_cast<T*>(reinterpret_cast<char*>(n) - offset);
  }

  void insert_before(ListNode* pos, ListNode* n) {
    LIBK_ASSERT(!n->linked());
    n->prev = pos->prev;
    n->next = pos;
    pos->prev->next = n;
    pos->prev = n;
    if constexpr (Counted) ++size_;
  }

  void unlink(ListNode* n) {
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = nullptr;
    if constexpr (Counted) --size_;
  }

  struct NoCount {};
  ListNode head_;
  [[no_unique_address]] std::conditional_t<Counted, size_t, NoCount> size_{};
};

}  // namespace libk
