// Atomic<T>: a value accessed only through GCC __atomic builtins.
//
// Hosted <atomic> cannot be used (it drags in glibc headers), so this is the
// one place the tree touches the builtins. Any integer, bool, enum or pointer
// of 1, 2, 4 or 8 bytes may be loaded and stored (plain loads and stores with
// fences). The read-modify-write operations need a 4- or 8-byte integer or a
// pointer: on RISC-V, GCC 12 lowers narrower ones to libatomic calls that a
// freestanding kernel does not link, so they are rejected at compile time.
// Every operation takes an explicit memory order, defaulting to seq_cst so
// that a missing order errs on the side of correctness.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <type_traits>

namespace libk {

enum class MemoryOrder : int {
  Relaxed = __ATOMIC_RELAXED,
  Acquire = __ATOMIC_ACQUIRE,
  Release = __ATOMIC_RELEASE,
  AcqRel = __ATOMIC_ACQ_REL,
  SeqCst = __ATOMIC_SEQ_CST,
};

namespace detail {
constexpr int order(MemoryOrder o) { return static_cast<int>(o); }

// A failed compare-exchange performs only a load, which cannot have release
// semantics: derive the strongest valid failure order from the success order.
constexpr MemoryOrder failure_order(MemoryOrder success) {
  switch (success) {
    case MemoryOrder::AcqRel:
      return MemoryOrder::Acquire;
    case MemoryOrder::Release:
      return MemoryOrder::Relaxed;
    default:
      return success;
  }
}

template <typename T>
concept AtomicWord = (std::is_integral_v<T> && !std::is_same_v<T, bool> &&
                      (sizeof(T) == 4 || sizeof(T) == 8)) ||
                     std::is_pointer_v<T>;

// Values that are only loaded and stored.
template <typename T>
concept AtomicValue = (std::is_integral_v<T> || std::is_enum_v<T> ||
                       std::is_pointer_v<T>)&&(sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 ||
                                               sizeof(T) == 8);

// A store. On RISC-V, GCC 12 stores a 4- or 8-byte value with an AMO
// (amoswap) whatever the order: an address computation and an AMO where a
// plain store does (GCC 13 follows the ISA manual's mapping, table A.6).
// So a relaxed or release store of one is written out here: the plain
// store (single-copy atomic when aligned, as every Atomic is), after, for
// release, the fence GCC's own release store puts first. Seq_cst stores
// and everything else keep the builtin.
template <typename T>
[[gnu::always_inline]] inline void store(T* p, T v, MemoryOrder o) {
#if defined(__riscv) && __riscv_xlen == 64
  if constexpr (sizeof(T) == 4 || sizeof(T) == 8) {
    if (o == MemoryOrder::Relaxed || o == MemoryOrder::Release) {
      if (o == MemoryOrder::Release) asm volatile("fence iorw, ow" ::: "memory");
      if constexpr (sizeof(T) == 8)
        asm volatile("sd %1, %0" : "=m"(*p) : "r"(v));
      else
        asm volatile("sw %1, %0" : "=m"(*p) : "r"(v));
      return;
    }
  }
#endif
  __atomic_store_n(p, v, order(o));
}
}  // namespace detail

inline void atomic_fence(MemoryOrder o = MemoryOrder::SeqCst) {
  __atomic_thread_fence(detail::order(o));
}

template <detail::AtomicValue T>
class Atomic {
 public:
  // Pointers step by whole elements, as in C++ pointer arithmetic; the
  // builtins themselves would step by bytes.
  using Difference = std::conditional_t<std::is_pointer_v<T>, ptrdiff_t, T>;

  constexpr Atomic() : value_() {}
  constexpr explicit Atomic(T v) : value_(v) {}
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;

  T load(MemoryOrder o = MemoryOrder::SeqCst) const {
    return __atomic_load_n(&value_, detail::order(o));
  }
  void store(T v, MemoryOrder o = MemoryOrder::SeqCst) { detail::store(&value_, v, o); }
  T exchange(T v, MemoryOrder o = MemoryOrder::SeqCst) requires detail::AtomicWord<T> {
    return __atomic_exchange_n(&value_, v, detail::order(o));
  }

  // On failure, `expected` receives the current value.
  bool compare_exchange(T& expected, T desired, MemoryOrder success,
                        MemoryOrder failure) requires detail::AtomicWord<T> {
    return __atomic_compare_exchange_n(&value_, &expected, desired, false, detail::order(success),
                                       detail::order(failure));
  }
  bool compare_exchange(T& expected, T desired,
                        MemoryOrder o = MemoryOrder::SeqCst) requires detail::AtomicWord<T> {
    return compare_exchange(expected, desired, o, detail::failure_order(o));
  }
  // May fail spuriously; cheaper inside a retry loop on LR/SC machines.
  bool compare_exchange_weak(T& expected, T desired,
                             MemoryOrder o = MemoryOrder::SeqCst) requires detail::AtomicWord<T> {
    return __atomic_compare_exchange_n(&value_, &expected, desired, true, detail::order(o),
                                       detail::order(detail::failure_order(o)));
  }

  // The fetch_* operations return the value held before the operation.
  T fetch_add(Difference d, MemoryOrder o = MemoryOrder::SeqCst) requires detail::AtomicWord<T> {
    return __atomic_fetch_add(&value_, scale(d), detail::order(o));
  }
  T fetch_sub(Difference d, MemoryOrder o = MemoryOrder::SeqCst) requires detail::AtomicWord<T> {
    return __atomic_fetch_sub(&value_, scale(d), detail::order(o));
  }
  T fetch_and(T v, MemoryOrder o = MemoryOrder::SeqCst) requires detail::AtomicWord<T> &&
      std::is_integral_v<T> {
    return __atomic_fetch_and(&value_, v, detail::order(o));
  }
  T fetch_or(T v, MemoryOrder o =
                      MemoryOrder::SeqCst) requires detail::AtomicWord<T> && std::is_integral_v<T> {
    return __atomic_fetch_or(&value_, v, detail::order(o));
  }
  T fetch_xor(T v, MemoryOrder o = MemoryOrder::SeqCst) requires detail::AtomicWord<T> &&
      std::is_integral_v<T> {
    return __atomic_fetch_xor(&value_, v, detail::order(o));
  }

 private:
  static constexpr Difference scale(Difference d) {
    if constexpr (std::is_pointer_v<T>) {
      static_assert(!std::is_void_v<std::remove_pointer_t<T>>, "no arithmetic on Atomic<void*>");
      return d * static_cast<ptrdiff_t>(sizeof(std::remove_pointer_t<T>));
    } else {
      return d;
    }
  }

  T value_;
};

// AtomicRef<T>: atomic loads and stores of a plain variable that is
// otherwise read and written plainly by its owner (under its lock), the way
// std::atomic_ref is used: the owner's accesses stay ordinary code.
template <detail::AtomicValue T>
class AtomicRef {
 public:
  explicit AtomicRef(T& v) : p_(&v) {}
  T load(MemoryOrder o = MemoryOrder::SeqCst) const {
    return __atomic_load_n(p_, detail::order(o));
  }
  void store(T v, MemoryOrder o = MemoryOrder::SeqCst) { detail::store(p_, v, o); }

 private:
  T* p_;
};

}  // namespace libk
