// A peer hears of a close only once everything the closed endpoint held is
// freed: a reader that sees ERR_PEER_CLOSED, on any hart, and compares
// counters finds nothing of the closed side left (the procfs client waits
// for the server's close and then compares: utest-fault).
//
// Checked from inside the teardown: a witness object travels in a message
// queued to the dying endpoint, and when it is freed it looks whether the
// peer already sees the close. One level deep (the endpoint's own queue),
// and two (an endpoint carried in that queue, whose own queue is freed on
// the outermost graveyard).
#include "object/channel.h"

#include "ktest/ktest.h"
#include "mm/kstat.h"

namespace {
constexpr uint32_t RIGHTS = KEEL_RIGHT_READ | KEEL_RIGHT_WRITE | KEEL_RIGHT_TRANSFER;

// Freed with the message that carries it; records what `watched` said then.
class Witness final : public Object {
 public:
  static RefPtr<Witness> make(Channel* watched) {
    auto w = cache.create();
    if (w.is_error()) return {};
    w.value()->watched_ = watched;
    return libk::adopt(w.value());
  }
  static inline int freed = 0;
  static inline int saw_closed = 0;

 private:
  friend class TypedCache<Witness>;
  Witness() : Object(ObjectType::Test) {}
  void destroy() override {
    freed++;
    if (watched_->peer_closed()) saw_closed++;
    cache.destroy(this);
  }
  Channel* watched_ = nullptr;
  static TypedCache<Witness> cache;
};
TypedCache<Witness> Witness::cache("test_witness");

// A message written from `from`, so queued at its peer, carrying a handle
// to `o`.
bool send(Channel& from, Object& o) {
  auto m = Message::create(1, nullptr);
  if (m.is_error()) return false;
  m.value()->add_handle(MovedHandle{HandleRef(RefPtr<Object>(&o)), RIGHTS});
  if (from.write(m.value()).is_error()) {
    Message::destroy(m.value());
    return false;
  }
  return true;
}
int64_t counter(const char* name) {
  int64_t v = -1;
  (void)kstat::get(name, &v);
  return v;
}
}  // namespace

KTEST("channel.peer_hears_of_a_close_after_everything_is_freed") {
  Witness::freed = Witness::saw_closed = 0;
  int64_t channels_before = counter("channels_live");
  int64_t messages_before = counter("messages_live");
  {
    // a <-> b: b stays; a dies with a message in its queue that holds a
    // witness watching b, and c (of c <-> d, d stays), whose own queue
    // holds a witness watching d.
    RefPtr<Channel> a, b, c, d;
    KT_ASSERT(Channel::create_pair(&a, &b).ok());
    KT_ASSERT(Channel::create_pair(&c, &d).ok());
    RefPtr<Witness> near = Witness::make(b.get());
    RefPtr<Witness> far = Witness::make(d.get());
    KT_ASSERT(near && far);
    KT_ASSERT(send(*d, *far));   // into c's queue
    KT_ASSERT(send(*b, *near));  // into a's queue
    KT_ASSERT(send(*b, *c));     // into a's queue: c travels inside
    near.reset();
    far.reset();
    c.reset();
    KT_EXPECT(!b->peer_closed());
    KT_EXPECT(!d->peer_closed());

    a.reset();  // the last reference: a, its messages, c and c's messages go
    KT_EXPECT_EQ(Witness::freed, 2);
    KT_EXPECT_EQ(Witness::saw_closed, 0);  // neither peer heard before the frees
    KT_EXPECT(b->peer_closed());
    KT_EXPECT(d->peer_closed());
    KT_EXPECT_EQ(counter("channels_live"), channels_before + 2);  // b and d
    KT_EXPECT_EQ(counter("messages_live"), messages_before);
  }
  KT_EXPECT_EQ(counter("channels_live"), channels_before);
}
