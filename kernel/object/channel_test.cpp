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

// The peer whose last reference is the graveyard's dies there before any
// survivor is told. Y holds [E, X2]; E (whose peer F survives) holds [Y2];
// Y2 holds a witness watching F. When Y dies, X2 dies and leaves Y2 to the
// graveyard; F must not hear of E's close before Y2 and its witness are
// freed.
KTEST("channel.a_survivor_is_told_after_peers_left_to_the_graveyard_are_freed") {
  Witness::freed = Witness::saw_closed = 0;
  int64_t channels_before = counter("channels_live");
  {
    RefPtr<Channel> x, y, e, f, x2, y2;
    KT_ASSERT(Channel::create_pair(&x, &y).ok());
    KT_ASSERT(Channel::create_pair(&e, &f).ok());
    KT_ASSERT(Channel::create_pair(&x2, &y2).ok());
    RefPtr<Witness> w = Witness::make(f.get());
    KT_ASSERT(w);
    KT_ASSERT(send(*x, *e));   // y: [e]
    KT_ASSERT(send(*f, *y2));  // e: [y2]
    KT_ASSERT(send(*x2, *w));  // y2: [w]
    KT_ASSERT(send(*x, *x2));  // y: [e, x2]
    e.reset();
    y2.reset();
    x2.reset();
    w.reset();
    x.reset();
    y.reset();  // y, e, x2, y2 and the witness go; f survives
    KT_EXPECT_EQ(Witness::freed, 1);
    KT_EXPECT_EQ(Witness::saw_closed, 0);
    KT_EXPECT(f->peer_closed());
    KT_EXPECT_EQ(counter("channels_live"), channels_before + 1);  // f
  }
  KT_EXPECT_EQ(counter("channels_live"), channels_before);
}

// A survivor held only through a queue the graveyard frees later goes back
// to be looked at as that queue goes, and dies untold. Y holds [e, s', p',
// a message carrying p]; p holds [s]; s holds a witness watching f (e's
// peer, which survives). When Y dies, f, s and p are left to the graveyard
// in that order: f and s are still held elsewhere when looked at, p is not
// and dies, and its queue leaves s to the graveyard alone. s and its
// witness must go before f is told. (Built here by direct writes; a user
// reaches the same shape through endpoints carried empty and filled after.)
KTEST("channel.survivors_are_looked_at_again_before_anyone_is_told") {
  Witness::freed = Witness::saw_closed = 0;
  int64_t channels_before = counter("channels_live");
  {
    RefPtr<Channel> x, y, e, f, s, s2, p, p2;
    KT_ASSERT(Channel::create_pair(&x, &y).ok());
    KT_ASSERT(Channel::create_pair(&e, &f).ok());
    KT_ASSERT(Channel::create_pair(&s, &s2).ok());
    KT_ASSERT(Channel::create_pair(&p, &p2).ok());
    RefPtr<Witness> w = Witness::make(f.get());
    KT_ASSERT(w);
    KT_ASSERT(send(*p2, *s));  // p: [s] (s still empty as it travels)
    KT_ASSERT(send(*s2, *w));  // s: [w]
    KT_ASSERT(send(*x, *e));   // y: [e]
    KT_ASSERT(send(*x, *s2));  // y: [e, s2]
    KT_ASSERT(send(*x, *p2));  // y: [e, s2, p2]
    KT_ASSERT(send(*x, *p));   // y: [e, s2, p2, p]
    for (RefPtr<Channel>* c : {&e, &s, &s2, &p, &p2, &x}) c->reset();
    w.reset();
    y.reset();
    KT_EXPECT_EQ(Witness::freed, 1);
    KT_EXPECT_EQ(Witness::saw_closed, 0);
    KT_EXPECT(f->peer_closed());
    KT_EXPECT_EQ(counter("channels_live"), channels_before + 1);  // f
  }
  KT_EXPECT_EQ(counter("channels_live"), channels_before);
}
