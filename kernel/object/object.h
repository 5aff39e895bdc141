// The base of every kernel object: an intrusive reference count, a type tag
// (no RTTI) and a kernel object id (koid) unique for the life of the system.
//
// RefPtr<T> is the only way to hold a counted reference. When the last one
// goes, destroy() returns the object to its type's slab cache; objects are
// never new'd or deleted anywhere else.
#pragma once
#include <keel/syscall.h>
#include <libk/atomic.h>
#include <libk/refptr.h>
#include <stdint.h>

#include "lib/ref.h"

// The values user space sees are keel_object_type's (object_info reports
// type() as is); Test is kernel-only.
enum class ObjectType : uint8_t {
  Task = KEEL_OBJ_TASK,  // a handle to one task of a process (TaskObject)
  Process = KEEL_OBJ_PROCESS,
  Channel = KEEL_OBJ_CHANNEL,
  ProcessDirectory = KEEL_OBJ_PROCESS_DIRECTORY,  // the capability to list and observe processes
  Job = KEEL_OBJ_JOB,                             // a handle to a job (JobObject)
  Test = 8,                                       // objects made by kernel tests
};
static_assert(static_cast<uint32_t>(ObjectType::Task) == KEEL_OBJ_TASK);
static_assert(static_cast<uint32_t>(ObjectType::Process) == KEEL_OBJ_PROCESS);
static_assert(static_cast<uint32_t>(ObjectType::Channel) == KEEL_OBJ_CHANNEL);
static_assert(static_cast<uint32_t>(ObjectType::ProcessDirectory) == KEEL_OBJ_PROCESS_DIRECTORY);
static_assert(static_cast<uint32_t>(ObjectType::Job) == KEEL_OBJ_JOB);
static_assert(static_cast<uint32_t>(ObjectType::Test) > KEEL_OBJ_JOB,
              "kernel-only, after every ABI type");

// A fresh kernel object id (objects get theirs at construction; records
// that are not objects, such as jobs, take one here).
uint64_t new_koid();

class Object : public libk::RefCounted<Object> {
 public:
  ObjectType type() const { return type_; }
  uint64_t koid() const { return koid_; }

  // Called by RefCounted when the count reaches zero.
  void on_last_unref() { destroy(); }

  // Handles, apart from references (HandleRef, handle_ref.h, keeps both).
  uint32_t handle_count() const { return handles_.load(libk::MemoryOrder::Acquire); }
  void handle_added() { handles_.fetch_add(1, libk::MemoryOrder::Relaxed); }
  void handle_dropped() {
    if (handles_.fetch_sub(1, libk::MemoryOrder::AcqRel) == 1) on_zero_handles();
  }

 protected:
  explicit Object(ObjectType type);
  ~Object() = default;
  // Run the destructor and give the memory back to the type's cache.
  virtual void destroy() = 0;
  // The last handle is gone (a reference of the dropper's keeps the object
  // alive meanwhile). For an object of a kind whose every handle is made
  // from another (duplicate, move), except the first, which its maker
  // makes, no handle can appear after this: so for JobObject, the one that
  // overrides it. (A Process can get a new handle from its table entry.)
  virtual void on_zero_handles() {}

 private:
  uint64_t koid_;
  libk::Atomic<uint32_t> handles_{0};
  ObjectType type_;
};
