// Result<T>: a value or a keel_status error, and TRY() to propagate errors.
//
// Kernel and libk code never throws; every operation that can fail returns a
// Result. TRY(expr) evaluates to the value, or returns the error from the
// enclosing function (which must itself return a Result or a keel_status).
#pragma once
#include <keel/status.h>
#include <libk/assert.h>

#include <new>
#include <type_traits>
#include <utility>

namespace libk {

// Wraps an error so Result<T> can be built from it unambiguously.
struct Error {
  keel_status code;
  // Lets TRY() return from a function whose result is a plain keel_status.
  constexpr operator keel_status() const { return code; }
};
constexpr Error err(keel_status code) { return Error{code}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(const T& v) : ok_(true) { new (&storage_) T(v); }
  Result(T&& v) : ok_(true) { new (&storage_) T(std::move(v)); }
  // KEEL_OK is not an error: a Result<T> built from it would hold no value
  // yet report no error, and TRY would pass that on.
  Result(Error e) : ok_(false), code_(e.code) { LIBK_ASSERT(e.code != KEEL_OK); }
  Result(Result&& o) : ok_(o.ok_), code_(o.code_) {
    if (ok_) new (&storage_) T(std::move(o.value_ref()));
  }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  Result& operator=(Result&&) = delete;
  ~Result() {
    if (ok_) value_ref().~T();
  }

  bool ok() const { return ok_; }
  bool is_error() const { return !ok_; }
  keel_status error() const { return ok_ ? KEEL_OK : code_; }

  T& value() & { return value_ref(); }
  const T& value() const& { return value_ref(); }
  T release_value() { return std::move(value_ref()); }

 private:
  // Reading the value of an error would read uninitialised storage.
  T& value_ref() {
    LIBK_ASSERT(ok_);
    return *std::launder(reinterpret_cast<T*>(&storage_));
  }
  const T& value_ref() const {
    LIBK_ASSERT(ok_);
    return *std::launder(reinterpret_cast<const T*>(&storage_));
  }

  bool ok_;
  keel_status code_ = KEEL_OK;
  alignas(T) unsigned char storage_[sizeof(T)];
};

// Result<void>: success or an error code.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() : code_(KEEL_OK) {}
  Result(Error e) : code_(e.code) {}
  bool ok() const { return code_ == KEEL_OK; }
  bool is_error() const { return code_ != KEEL_OK; }
  keel_status error() const { return code_; }
  void release_value() {}

 private:
  keel_status code_;
};

inline Result<void> ok() { return Result<void>(); }

}  // namespace libk

// Evaluate a Result-returning expression; on error return it from the caller.
#define TRY(expr)                                                        \
  ({                                                                     \
    auto _try_result = (expr);                                           \
    if (_try_result.is_error()) return ::libk::err(_try_result.error()); \
    _try_result.release_value();                                         \
  })
