// Intrusive reference counting: RefCounted<T> holds the count inside the
// object, RefPtr<T> is the one way to own a counted reference.
//
// Rules that keep counts exact:
//  - A new object starts with count 1: that reference belongs to whoever
//    constructed it, who hands it to a RefPtr with adopt() (no increment).
//  - Copying a RefPtr takes a new reference; moving one transfers it;
//    destroying or reset()ting one releases it.
//  - leak_ref() turns the reference into a raw pointer without releasing it,
//    for an intrusive container that owns it; adopt() turns it back. Every
//    leak_ref() is paired with exactly one adopt().
//  - When the count reaches 0, T::on_last_unref() runs exactly once and
//    decides how the object is freed (the kernel returns it to a slab cache).
//  - Releasing a reference that does not exist (count already 0) or taking
//    one on a dead object hits LIBK_ASSERT, as does destroying an object that
//    someone else still references.
#pragma once
#include <libk/assert.h>
#include <libk/atomic.h>
#include <stddef.h>
#include <stdint.h>

#include <concepts>
#include <utility>

namespace libk {

template <typename T>
class RefCounted {
 public:
  RefCounted(const RefCounted&) = delete;
  RefCounted& operator=(const RefCounted&) = delete;

  void ref() {
    // Relaxed is enough: the caller already holds a reference, so the object
    // cannot be freed concurrently; only the decrement publishes anything.
    uint32_t old = count_.fetch_add(1, MemoryOrder::Relaxed);
    LIBK_ASSERT(old != 0 && old != UINT32_MAX);
  }

  void unref() {
    // Release orders this owner's writes before the decrement; the last
    // owner's acquire (AcqRel) makes all of them visible to on_last_unref.
    uint32_t old = count_.fetch_sub(1, MemoryOrder::AcqRel);
    LIBK_ASSERT(old != 0);
    if (old == 1) static_cast<T*>(this)->on_last_unref();
  }

  // Drop one reference unless it is the last: false (and nothing changed)
  // if it is. For an owner that must not run on_last_unref where it stands
  // (under a lock the destructor takes): it drops the last one later.
  bool unref_unless_last() {
    uint32_t c = count_.load(MemoryOrder::Relaxed);
    do {
      LIBK_ASSERT(c != 0);
      if (c == 1) return false;
    } while (!count_.compare_exchange_weak(c, c - 1, MemoryOrder::AcqRel));
    return true;
  }

  // unref_unless_last, for an owner who knows that nobody can take a
  // reference from 0 meanwhile: it holds the lock under which try_ref is
  // used on this object, and every other holder took theirs from one of
  // their own (ref). A plain decrement, undone if it was the last: the
  // moment at 0 is seen by no one. (The IPC fast path's.)
  bool unref_unless_last_exclusive() {
    uint32_t old = count_.fetch_sub(1, MemoryOrder::Release);
    LIBK_ASSERT(old != 0);
    if (old != 1) return true;
    count_.fetch_add(1, MemoryOrder::Relaxed);  // an RMW: the release sequence goes on
    return false;
  }

  // Take a reference unless the count is already 0: false if the object is
  // on its way out (on_last_unref has run or is running). For code that
  // reaches an object through a plain pointer, under a lock its teardown
  // takes before freeing it, so the memory is still there to look at.
  [[nodiscard]] bool try_ref() {
    uint32_t c = count_.load(MemoryOrder::Relaxed);
    do {
      if (c == 0) return false;
      LIBK_ASSERT(c != UINT32_MAX);
    } while (!count_.compare_exchange_weak(c, c + 1, MemoryOrder::Relaxed));
    return true;
  }

  uint32_t ref_count() const { return count_.load(MemoryOrder::Relaxed); }

 protected:
  RefCounted() : count_(1) {}
  // 0: freed through on_last_unref. 1: never shared (e.g. construction was
  // abandoned before adopt()). More: someone would be left dangling.
  ~RefCounted() { LIBK_ASSERT(ref_count() <= 1); }

 private:
  Atomic<uint32_t> count_;
};

template <typename T>
class RefPtr;
template <typename T>
[[nodiscard]] RefPtr<T> adopt(T* p);

// U* converts to T* (U is T or derives from it).
template <typename U, typename T>
concept PointsInto = std::convertible_to<U*, T*>;

template <typename T>
class RefPtr {
 public:
  constexpr RefPtr() = default;
  constexpr RefPtr(decltype(nullptr)) {}
  // Takes a new reference on an object the caller knows is alive.
  explicit RefPtr(T* p) : ptr_(p) {
    if (ptr_) ptr_->ref();
  }
  explicit RefPtr(T& obj) : RefPtr(&obj) {}

  RefPtr(const RefPtr& o) : RefPtr(o.ptr_) {}
  RefPtr(RefPtr&& o) : ptr_(o.leak_ref()) {}
  template <PointsInto<T> U>
  RefPtr(const RefPtr<U>& o) : RefPtr(o.get()) {}
  template <PointsInto<T> U>
  RefPtr(RefPtr<U>&& o) : ptr_(o.leak_ref()) {}

  // Always inlined: most are moved-from and drop nothing, which only the
  // caller can see (and the full-frame syscall entry must call no copy of
  // its own: kernel/syscall/ipc_fast.cpp).
  [[gnu::always_inline]] ~RefPtr() { reset(); }

  // Copy/move into a temporary, then swap: the new reference is taken before
  // the old one is dropped, so self-assignment and assigning an object whose
  // last reference is held here are both safe.
  RefPtr& operator=(const RefPtr& o) {
    RefPtr(o).swap(*this);
    return *this;
  }
  RefPtr& operator=(RefPtr&& o) {
    RefPtr(std::move(o)).swap(*this);
    return *this;
  }
  RefPtr& operator=(decltype(nullptr)) {
    reset();
    return *this;
  }

  [[gnu::always_inline]] void reset() {
    // Clear the field first: on_last_unref may reach this RefPtr again.
    T* p = ptr_;
    ptr_ = nullptr;
    if (p) p->unref();
  }

  // Hands the reference over as a raw pointer; the count is unchanged and
  // this RefPtr becomes null. Discarding the result leaks the reference.
  [[nodiscard]] T* leak_ref() {
    T* p = ptr_;
    ptr_ = nullptr;
    return p;
  }

  void swap(RefPtr& o) {
    T* p = ptr_;
    ptr_ = o.ptr_;
    o.ptr_ = p;
  }

  T* get() const { return ptr_; }
  T* operator->() const {
    LIBK_ASSERT(ptr_ != nullptr);
    return ptr_;
  }
  T& operator*() const {
    LIBK_ASSERT(ptr_ != nullptr);
    return *ptr_;
  }
  explicit operator bool() const { return ptr_ != nullptr; }

  friend bool operator==(const RefPtr& a, const RefPtr& b) { return a.ptr_ == b.ptr_; }
  friend bool operator==(const RefPtr& a, const T* b) { return a.ptr_ == b; }
  friend bool operator==(const RefPtr& a, decltype(nullptr)) { return a.ptr_ == nullptr; }

 private:
  struct AdoptTag {};
  RefPtr(T* p, AdoptTag) : ptr_(p) {}
  friend RefPtr adopt<T>(T* p);

  T* ptr_ = nullptr;  // owns one reference when non-null
};

// Wraps an existing reference (a new object's initial one, or one returned by
// leak_ref()) without incrementing. A null pointer gives a null RefPtr, so
// adopt(cache.alloc()) can be checked for allocation failure afterwards.
template <typename T>
[[gnu::always_inline]] inline RefPtr<T> adopt(T* p) {
  LIBK_ASSERT(p == nullptr || p->ref_count() != 0);
  return RefPtr<T>(p, typename RefPtr<T>::AdoptTag{});
}

}  // namespace libk
