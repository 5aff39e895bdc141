// RefCounted / RefPtr: the count is exact after every copy, move, reset,
// leak_ref and adopt, on_last_unref runs exactly once, and over-release or
// resurrection is caught; plus the Atomic<T> underneath the count.
#include <doctest/doctest.h>
#include <libk/atomic.h>
#include <libk/refptr.h>

#include <type_traits>
#include <utility>

#include "expect_assert.h"

using libk::adopt;
using libk::RefPtr;

namespace {

// Records its release instead of freeing itself, so tests can inspect it
// after the count reaches zero.
struct Obj : libk::RefCounted<Obj> {
  explicit Obj(int v = 0) : value(v) {}
  void on_last_unref() { ++released; }
  int value;
  int released = 0;
};

struct Derived : Obj {
  explicit Derived(int v) : Obj(v) {}
};

// Frees itself, like a slab-backed kernel object: ASan catches any use or
// release after the last reference.
struct HeapObj : libk::RefCounted<HeapObj> {
  static inline int freed = 0;
  void on_last_unref() {
    ++freed;
    delete this;
  }
};

// An owner that holds a reference in a RefPtr field, to check that
// on_last_unref can drop references held by the dying object.
struct Node : libk::RefCounted<Node> {
  static inline int freed = 0;
  RefPtr<Node> next;  // owns one reference to the next node
  void on_last_unref() {
    ++freed;
    delete this;
  }
};

}  // namespace

static_assert(!std::is_copy_constructible_v<Obj>);
static_assert(!std::is_constructible_v<RefPtr<Obj>, Obj*, int>);
static_assert(!std::is_convertible_v<Obj*, RefPtr<Obj>>);  // no silent ref from raw
static_assert(!std::is_convertible_v<RefPtr<Obj>, bool>);  // explicit bool only
static_assert(std::is_convertible_v<RefPtr<Derived>, RefPtr<Obj>>);
static_assert(!std::is_convertible_v<RefPtr<Obj>, RefPtr<Derived>>);

TEST_CASE("a new object starts at 1 and adopt does not increment") {
  Obj o;
  CHECK(o.ref_count() == 1);
  {
    RefPtr<Obj> p = adopt(&o);
    CHECK(o.ref_count() == 1);
    CHECK(p.get() == &o);
    CHECK(o.released == 0);
  }
  CHECK(o.ref_count() == 0);
  CHECK(o.released == 1);
}

TEST_CASE("copies, moves and resets keep the count exact") {
  Obj o(5);
  RefPtr<Obj> a = adopt(&o);
  {
    RefPtr<Obj> b = a;  // copy: +1
    CHECK(o.ref_count() == 2);
    RefPtr<Obj> c(b);
    CHECK(o.ref_count() == 3);
    RefPtr<Obj> d = std::move(c);  // move: unchanged
    CHECK(o.ref_count() == 3);
    CHECK(c.get() == nullptr);
    CHECK_FALSE(c);
    RefPtr<Obj> e;
    e = d;  // copy-assign into empty: +1
    CHECK(o.ref_count() == 4);
    e = std::move(d);  // move-assign over the same object: -1 (d's old ref)
    CHECK(o.ref_count() == 3);
    CHECK(d.get() == nullptr);
    b.reset();
    CHECK(o.ref_count() == 2);
    b.reset();  // already null: no effect
    CHECK(o.ref_count() == 2);
    e = nullptr;
    CHECK(o.ref_count() == 1);
  }
  CHECK(o.ref_count() == 1);
  CHECK(o.released == 0);
  a.reset();
  CHECK(o.ref_count() == 0);
  CHECK(o.released == 1);
  CHECK(a.get() == nullptr);
}

TEST_CASE("assignment releases the old object and references the new one") {
  Obj x(1), y(2);
  RefPtr<Obj> px = adopt(&x);
  RefPtr<Obj> py = adopt(&y);
  RefPtr<Obj> p = px;
  CHECK(x.ref_count() == 2);
  p = py;
  CHECK(x.ref_count() == 1);
  CHECK(y.ref_count() == 2);
  p = std::move(px);  // takes x's last reference, drops one of y
  CHECK(x.ref_count() == 1);
  CHECK(y.ref_count() == 1);
  CHECK(px.get() == nullptr);
  CHECK(p->value == 1);
  p.reset();
  py.reset();
  CHECK(x.released == 1);
  CHECK(y.released == 1);
}

TEST_CASE("self-assignment keeps the reference") {
  Obj o;
  RefPtr<Obj> p = adopt(&o);
  RefPtr<Obj>& alias = p;
  p = alias;
  CHECK(o.ref_count() == 1);
  CHECK(p.get() == &o);
  p = std::move(alias);
  CHECK(o.ref_count() == 1);
  CHECK(p.get() == &o);
  CHECK(o.released == 0);
  p.reset();
  CHECK(o.released == 1);
}

TEST_CASE("leak_ref hands over the reference and adopt takes it back") {
  Obj o;
  RefPtr<Obj> p = adopt(&o);
  RefPtr<Obj> q = p;
  CHECK(o.ref_count() == 2);
  Obj* raw = q.leak_ref();  // e.g. into a run queue
  CHECK(raw == &o);
  CHECK(q.get() == nullptr);
  CHECK(o.ref_count() == 2);  // unchanged: raw still owns one
  {
    RefPtr<Obj> back = adopt(raw);
    CHECK(o.ref_count() == 2);
  }
  CHECK(o.ref_count() == 1);
  p.reset();
  CHECK(o.released == 1);
}

TEST_CASE("constructing from a raw pointer or reference takes a new reference") {
  Obj o;
  RefPtr<Obj> owner = adopt(&o);
  RefPtr<Obj> p(&o);
  CHECK(o.ref_count() == 2);
  RefPtr<Obj> r(o);
  CHECK(o.ref_count() == 3);
  RefPtr<Obj> n(static_cast<Obj*>(nullptr));
  CHECK_FALSE(n);
  p.reset();
  r.reset();
  owner.reset();
  CHECK(o.released == 1);
}

TEST_CASE("derived to base conversion") {
  Derived d(9);
  RefPtr<Derived> pd = adopt(&d);
  RefPtr<Obj> pb = pd;
  CHECK(d.ref_count() == 2);
  CHECK(pb->value == 9);
  RefPtr<Obj> pm = std::move(pd);
  CHECK(d.ref_count() == 2);
  CHECK(pd.get() == nullptr);
  pb.reset();
  pm.reset();
  CHECK(d.released == 1);
}

TEST_CASE("access and comparison") {
  Obj a(1), b(2);
  RefPtr<Obj> pa = adopt(&a);
  RefPtr<Obj> pb = adopt(&b);
  RefPtr<Obj> pa2 = pa;
  RefPtr<Obj> none;
  CHECK(pa == pa2);
  CHECK(pa != pb);
  CHECK(pa == &a);
  CHECK(&a == pa);
  CHECK(pa != &b);
  CHECK(none == nullptr);
  CHECK(nullptr == none);
  CHECK(pa != nullptr);
  CHECK(static_cast<bool>(pa));
  CHECK_FALSE(static_cast<bool>(none));
  CHECK((*pa).value == 1);
  CHECK(pb->value == 2);
  pa.swap(pb);
  CHECK(pa.get() == &b);
  CHECK(pb.get() == &a);
  CHECK(a.ref_count() == 2);
  CHECK(b.ref_count() == 1);
  pa.reset();
  pb.reset();
  pa2.reset();
  CHECK(a.released == 1);
  CHECK(b.released == 1);
}

TEST_CASE("on_last_unref runs exactly once and may free the object") {
  HeapObj::freed = 0;
  {
    RefPtr<HeapObj> p = adopt(new HeapObj);
    RefPtr<HeapObj> copies[4] = {p, p, p, p};
    CHECK(p->ref_count() == 5);
    p.reset();
    for (auto& c : copies) {
      CHECK(HeapObj::freed == 0);
      c.reset();
    }
    CHECK(HeapObj::freed == 1);
  }
  CHECK(HeapObj::freed == 1);
}

TEST_CASE("try_ref takes a reference on a live object and refuses a dying one") {
  Obj o;  // count 1, owned by this test
  REQUIRE(o.try_ref());
  CHECK(o.ref_count() == 2);
  o.unref();
  o.unref();  // the last: on_last_unref runs, the count is 0
  CHECK(o.released == 1);
  CHECK_FALSE(o.try_ref());
  CHECK(o.ref_count() == 0);
  CHECK(o.released == 1);
}

TEST_CASE("unref_unless_last and its exclusive form drop all but the last reference") {
  Obj o;  // count 1, owned by this test
  o.ref();
  o.ref();
  CHECK(o.unref_unless_last());
  CHECK(o.ref_count() == 2);
  CHECK(o.unref_unless_last_exclusive());
  CHECK(o.ref_count() == 1);
  // The last one stays, and nothing is released, by either form.
  CHECK_FALSE(o.unref_unless_last());
  CHECK_FALSE(o.unref_unless_last_exclusive());
  CHECK(o.ref_count() == 1);
  CHECK(o.released == 0);
  o.unref();
  CHECK(o.released == 1);
}

TEST_CASE("releasing the last reference cascades through owned references") {
  Node::freed = 0;
  RefPtr<Node> head = adopt(new Node);
  head->next = adopt(new Node);
  head->next->next = adopt(new Node);
  RefPtr<Node> middle = head->next;
  CHECK(middle->ref_count() == 2);
  head.reset();  // frees the head only: middle still referenced here
  CHECK(Node::freed == 1);
  CHECK(middle->ref_count() == 1);
  middle.reset();
  CHECK(Node::freed == 3);
}

TEST_CASE("adopt of null is a null RefPtr") {
  RefPtr<Obj> p = adopt(static_cast<Obj*>(nullptr));
  CHECK_FALSE(p);
  CHECK(p == nullptr);
}

// Atomic<T> is tested here because RefCounted is its main user and the host
// suite has no separate binary for it.
TEST_CASE("Atomic<T> operations return the previous value") {
  libk::Atomic<uint32_t> a(5);
  CHECK(a.load() == 5);
  CHECK(a.fetch_add(3) == 5);
  CHECK(a.fetch_sub(1, libk::MemoryOrder::Relaxed) == 8);
  CHECK(a.exchange(100, libk::MemoryOrder::AcqRel) == 7);
  CHECK(a.fetch_or(0x3) == 100);
  CHECK(a.fetch_and(0x6) == 103);
  CHECK(a.fetch_xor(0x7) == 0x6);
  CHECK(a.load(libk::MemoryOrder::Acquire) == 0x1);
  a.store(0, libk::MemoryOrder::Release);
  CHECK(a.fetch_sub(1) == 0);
  CHECK(a.load() == UINT32_MAX);  // wraps like unsigned arithmetic

  libk::Atomic<int64_t> c(10);
  int64_t expected = 11;
  CHECK_FALSE(c.compare_exchange(expected, 20));
  CHECK(expected == 10);  // failure reports the current value
  CHECK(c.compare_exchange(expected, 20, libk::MemoryOrder::AcqRel));
  CHECK(c.load() == 20);
  expected = 20;
  CHECK(c.compare_exchange(expected, 30, libk::MemoryOrder::Release, libk::MemoryOrder::Relaxed));
  while (!c.compare_exchange_weak(expected, 40)) {
  }
  CHECK(c.load() == 40);

  // Pointers step by elements, not bytes.
  int arr[4] = {};
  libk::Atomic<int*> p(arr);
  CHECK(p.fetch_add(2) == arr);
  CHECK(p.load() == arr + 2);
  CHECK(p.fetch_sub(1) == arr + 2);
  CHECK(p.load() == arr + 1);
}

// Narrow values, bools and enums: loads and stores only.
enum class Colour : uint8_t { Red, Green };
template <typename T>
concept CanExchange = requires(libk::Atomic<T>& a, T v) {
  a.exchange(v);
};
template <typename T>
concept CanFetchAdd = requires(libk::Atomic<T>& a) {
  a.fetch_add(1);
};
static_assert(!CanExchange<bool> && !CanExchange<Colour> && !CanFetchAdd<uint8_t>);
static_assert(CanExchange<uint32_t> && CanFetchAdd<uint32_t> && CanFetchAdd<int*>);

TEST_CASE("Atomic<T> loads and stores bools, enums and bytes") {
  libk::Atomic<bool> flag;
  CHECK_FALSE(flag.load());
  flag.store(true, libk::MemoryOrder::Release);
  CHECK(flag.load(libk::MemoryOrder::Acquire));
  libk::Atomic<Colour> c(Colour::Green);
  CHECK(c.load() == Colour::Green);
  c.store(Colour::Red);
  CHECK(c.load(libk::MemoryOrder::Relaxed) == Colour::Red);
  libk::Atomic<uint16_t> h(0xffff);
  CHECK(h.load() == 0xffff);
}

TEST_CASE("AtomicRef<T> loads and stores a plain variable") {
  uint64_t plain = 7;
  libk::AtomicRef<uint64_t> r(plain);
  CHECK(r.load(libk::MemoryOrder::Relaxed) == 7);
  r.store(9, libk::MemoryOrder::Release);
  CHECK(plain == 9);
}

TEST_CASE("over-release and resurrection are caught") {
  CHECK_LIBK_ASSERT("old != 0", {
    Obj o;
    o.unref();  // the creator's reference: count 0, released
    o.unref();  // one too many
  });
  CHECK_LIBK_ASSERT("old != 0", {
    Obj o;
    RefPtr<Obj> p = adopt(&o);
    o.unref();  // someone drops a reference they never had...
    p.reset();  // ...so the real owner's release is one too many
  });
  CHECK_LIBK_ASSERT("old != 0", {
    Obj o;
    o.unref();
    o.ref();  // taking a reference on a dead object
  });
  CHECK_LIBK_ASSERT("ref_count() != 0", {
    Obj o;
    o.unref();
    RefPtr<Obj> p = adopt(&o);  // adopting a dead object
  });
  CHECK_LIBK_ASSERT("ref_count() <= 1", {
    Obj o;
    o.ref();  // destroyed while someone else holds a reference
  });
  CHECK_LIBK_ASSERT("ptr_ != nullptr", {
    RefPtr<Obj> p;
    (void)p->value;
  });
}
