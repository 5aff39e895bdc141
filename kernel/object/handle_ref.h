// HandleRef: one handle to an object. A handle is what a process can name
// (a slot of its handle table) or what is on its way to one (a handle in a
// message, or moved by spawn); a syscall's momentary reference is not one.
// A HandleRef holds a reference and counts one of the object's handles, so an
// object learns when its last handle goes (Object::on_zero_handles), however
// many momentary references other tasks hold at that moment: closing the last
// handle to a job kills it there and then, not when some other task's
// object_info lets go of it (Zircon's handle count, for the same reason).
#pragma once
#include <utility>

#include "object/object.h"

class HandleRef {
 public:
  HandleRef() = default;
  // A new handle to o.
  explicit HandleRef(RefPtr<Object> o) : o_(std::move(o)) {
    if (o_) o_->handle_added();
  }
  HandleRef(HandleRef&& h) : o_(std::move(h.o_)) {}
  HandleRef& operator=(HandleRef&& h) {
    if (this != &h) {
      reset();
      o_ = std::move(h.o_);
    }
    return *this;
  }
  HandleRef(const HandleRef&) = delete;
  HandleRef& operator=(const HandleRef&) = delete;
  ~HandleRef() { reset(); }

  // The handle goes, then the reference: on_zero_handles runs with the
  // object still alive.
  void reset() {
    if (!o_) return;
    o_->handle_dropped();
    o_.reset();
  }

  Object* get() const { return o_.get(); }
  Object* operator->() const { return o_.operator->(); }
  explicit operator bool() const { return bool(o_); }
  // A momentary reference (not a handle) to what this names.
  const RefPtr<Object>& ref() const { return o_; }

  // For a message's raw slots: the handle and its reference leave as a
  // pointer (leak) and come back whole (adopt); neither count changes.
  [[nodiscard]] Object* leak() { return o_.leak_ref(); }
  static HandleRef adopt(Object* o) {
    HandleRef h;
    h.o_ = libk::adopt(o);
    return h;
  }

 private:
  RefPtr<Object> o_;
};
