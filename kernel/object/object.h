// The base of every kernel object: an intrusive reference count, a type tag
// (no RTTI) and a kernel object id (koid) unique for the life of the system.
//
// RefPtr<T> is the only way to hold a counted reference. When the last one
// goes, destroy() returns the object to its type's slab cache; objects are
// never new'd or deleted anywhere else.
#pragma once
#include <libk/refptr.h>
#include <stdint.h>

enum class ObjectType : uint8_t {
  Task = 1,
  Process,
  Channel,
  ProcessDirectory = 5,  // the capability to list and observe processes
  Test,                  // objects made by kernel tests
};

class Object : public libk::RefCounted<Object> {
 public:
  ObjectType type() const { return type_; }
  uint64_t koid() const { return koid_; }

  // Called by RefCounted when the count reaches zero.
  void on_last_unref() { destroy(); }

 protected:
  explicit Object(ObjectType type);
  ~Object() = default;
  // Run the destructor and give the memory back to the type's cache.
  virtual void destroy() = 0;

 private:
  uint64_t koid_;
  ObjectType type_;
};

template <typename T>
using RefPtr = libk::RefPtr<T>;
