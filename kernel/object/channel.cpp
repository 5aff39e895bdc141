#include "channel.h"

#include <arch/cpu.h>
#include <libk/string.h>

#include <utility>

#include "lib/panic.h"
#include "mm/kstat.h"
#include "object/payload.h"
#include "object/process.h"
#include "sched/sched.h"

namespace {
TypedCache<Channel> channel_cache("channel");
TypedCache<Message> message_cache("message");
TypedCache<ChannelPair> pair_cache("channel_pair");

using MessageList = libk::IntrusiveList<Message, &Message::node>;

// Taken around every write that carries a channel, so the check that makes
// cycles impossible (may_carry) and the write itself are one step.
Spinlock carry_lock{LockRank::Carry, "channel carry"};
}  // namespace

// What dead endpoints leave: the messages queued to them, and their peers
// (each with a reference taken while it was still linked): to tell, or to
// free if that reference turns out to be the last.
struct Channel::Graveyard {
  using ChannelList = libk::IntrusiveList<Channel, &Channel::gone_node_>;
  MessageList messages;
  ChannelList peers;      // not looked at yet
  ChannelList survivors;  // held elsewhere too when looked at: told at the end
};

namespace {
libk::Atomic<uint64_t> graveyard_steps;  // bury's loop, ever: a teardown's work (tests)
}  // namespace
uint64_t Channel::graveyard_steps_for_test() {
  return graveyard_steps.load(libk::MemoryOrder::Relaxed);
}

// Messages of a dead endpoint are freed here. Freeing one can kill another
// endpoint (a handle inside it) whose messages come here too, on the same
// call stack: the outermost call keeps the graveyard on its stack (the
// task's), nested calls only append to it, and the outermost one drains it
// in a loop. A chain of channels nested in messages costs no stack, and
// everything is freed before the outermost caller returns: synchronously,
// by the task that dropped the last handle.
//
// Peers are told last: a reader that sees ERR_PEER_CLOSED finds the
// endpoint that closed, and everything it held, already freed (counters
// compared across a peer's close agree on any number of harts). A peer
// whose only reference is the graveyard's has no reader to tell (a reader
// holds a reference): it dies in the graveyard too, its queue appended, so
// no drop of a reference here starts a nested graveyard (chain_depth_test).
// A survivor (held elsewhere too when looked at) may lose its other holders
// to the graveyard later: a handle in a message freed here. Each message's
// channel handles are looked at as it goes, so such a survivor goes back to
// be looked at again at once: no survivor is told while something the
// graveyard frees still holds it, and no step scans them all.
void Channel::bury(MessageList& q, RefPtr<Channel> peer) {
  Task* self = sched::current();
  if (auto* outer = static_cast<Graveyard*>(self->channel_graveyard)) {
    while (Message* m = q.pop_front()) outer->messages.push_back(*m);
    if (peer) outer->peers.push_back(*peer.leak_ref());
    return;
  }
  Graveyard g;
  while (Message* m = q.pop_front()) g.messages.push_back(*m);
  if (peer) g.peers.push_back(*peer.leak_ref());
  self->channel_graveyard = &g;
  uint64_t steps = 0;
  for (;; steps++) {
    if (Message* m = g.messages.pop_front()) {
      Channel* held[KEEL_CHANNEL_MAX_HANDLES];
      uint32_t n = 0;
      for (uint32_t i = 0; i < m->num_handles; i++) {
        Object* o = m->handles[i];
        if (o && o->type() == ObjectType::Channel &&
            libk::AtomicRef(static_cast<Channel*>(o)->surviving_in_)
                    .load(libk::MemoryOrder::Relaxed) == &g)
          held[n++] = static_cast<Channel*>(o);
      }
      Message::destroy(m);
      for (uint32_t i = 0; i < n; i++) {
        Channel* c = held[i];  // alive: the graveyard holds it
        if (c->surviving_in_ != &g || c->ref_count() != 1) continue;
        g.survivors.remove(*c);
        libk::AtomicRef(c->surviving_in_).store(nullptr, libk::MemoryOrder::Relaxed);
        g.peers.push_back(*c);
      }
      continue;
    }
    if (Channel* c = g.peers.pop_front()) {
      if (c->ref_count() == 1) {  // ours alone (stays so: nobody else can reach it)
        RefPtr<Channel> last = libk::adopt(c);
      } else {
        libk::AtomicRef(c->surviving_in_).store(&g, libk::MemoryOrder::Relaxed);
        g.survivors.push_back(*c);
      }
      continue;
    }
    Channel* c = g.survivors.pop_front();
    if (!c) break;
    libk::AtomicRef(c->surviving_in_).store(nullptr, libk::MemoryOrder::Relaxed);
    RefPtr<Channel> told = libk::adopt(c);
    {
      SpinGuard r(told->readers_.lock());
      told->peer_gone_ = true;
      told->readers_.wake_all_locked();
    }
    // If another hart dropped its reference meanwhile, ours is the last: it
    // dies here, into the graveyard (the loop goes on with what it left).
  }
  graveyard_steps.fetch_add(steps, libk::MemoryOrder::Relaxed);
  self->channel_graveyard = nullptr;
}

const uint64_t Message::HANDLE_COST = sizeof(Channel);

uint64_t Message::cost(uint32_t num_bytes) {
  return sizeof(Message) + (num_bytes > INLINE_BYTES ? payload::block_size(num_bytes) : 0);
}

libk::Result<void> Message::charge_handles(uint32_t n) {
  if (payer && !payer->quota().charge(libk::Quota::MessageBytes, n * HANDLE_COST))
    return libk::err(ERR_NO_MEMORY);
  return libk::ok();
}

void Message::uncharge_handles(uint32_t n) {
  if (payer) payer->quota().uncharge(libk::Quota::MessageBytes, n * HANDLE_COST);
}

libk::Result<Message*> Message::create(uint32_t num_bytes, Job* payer) {
  if (payer && !payer->quota().charge(libk::Quota::MessageBytes, cost(num_bytes)))
    return libk::err(ERR_NO_MEMORY);
  auto made = message_cache.create();
  if (made.is_error()) {
    if (payer) payer->quota().uncharge(libk::Quota::MessageBytes, cost(num_bytes));
    return libk::err(made.error());
  }
  Message* m = made.value();
  kstat::add(kstat::Counter::messages_live, 1);
  m->payer = RefPtr<Job>(payer);
  m->num_bytes = num_bytes;
  m->bytes = m->inline_bytes;
  if (num_bytes > INLINE_BYTES) {
    auto bytes = payload::alloc(num_bytes);
    if (bytes.is_error()) {
      destroy(m);  // gives the charge back
      return libk::err(ERR_NO_MEMORY);
    }
    m->bytes = bytes.value();
  }
  return m;
}

void Message::destroy(Message* m) {
  if (m->bytes != m->inline_bytes) payload::free(m->bytes, m->num_bytes);
  uint32_t inside = 0;
  for (uint32_t i = 0; i < m->num_handles; i++) {
    if (!m->handles[i]) continue;
    inside++;
    HandleRef::adopt(m->handles[i]).reset();  // may free a channel: see bury()
  }
  m->uncharge_handles(inside);
  if (Job* p = m->payer.get()) p->quota().uncharge(libk::Quota::MessageBytes, cost(m->num_bytes));
  kstat::add(kstat::Counter::messages_live, -1);
  message_cache.destroy(m);  // ~Message drops the payer (perhaps the job's last reference)
}

void ChannelPair::on_last_unref() { pair_cache.destroy(this); }

Channel::Channel() : Object(ObjectType::Channel) { kstat::add(kstat::Counter::channels_live, 1); }

Channel::~Channel() { kstat::add(kstat::Counter::channels_live, -1); }

libk::Result<void> Channel::create_pair(RefPtr<Channel>* a, RefPtr<Channel>* b) {
  ChannelPair* pair = TRY(pair_cache.create());
  libk::RefPtr<ChannelPair> pair_ref = libk::adopt(pair);
  Channel* x = TRY(channel_cache.create());
  RefPtr<Channel> xr = libk::adopt(x);
  Channel* y = TRY(channel_cache.create());
  RefPtr<Channel> yr = libk::adopt(y);
  x->pair_ = pair_ref;
  y->pair_ = pair_ref;
  x->readers_.share_lock(pair->lock);
  y->readers_.share_lock(pair->lock);
  x->peer_ = y;
  y->peer_ = x;
  x->peer_koid_ = y->koid();
  y->peer_koid_ = x->koid();
  *a = std::move(xr);
  *b = std::move(yr);
  return libk::ok();
}

void Channel::destroy() {
  // Unlink from the peer and take the queue in one step, so no writer can
  // reach this endpoint (its writes fail with ERR_PEER_CLOSED from here on).
  // Its readers are told once everything here is freed (bury): a peer
  // itself on the way out (no reference to take) needs no telling. (No
  // pair: creation failed before the endpoint was linked or written to.)
  RefPtr<Channel> peer_ref;
  MessageList mine;
  if (pair_) {
    SpinGuard g(pair_->lock);
    if (peer_) {
      Channel* peer = peer_;
      peer->peer_ = nullptr;
      peer_ = nullptr;
      if (peer->try_ref()) peer_ref = libk::adopt(peer);
    }
    while (Message* m = queue_.pop_front()) mine.push_back(*m);
  }
  pair_.reset();
  channel_cache.destroy(this);
  bury(mine, std::move(peer_ref));
}

bool Channel::may_carry(Object& object) {
  if (object.type() != ObjectType::Channel) return true;
  auto& other = static_cast<Channel&>(object);
  {
    SpinGuard g(pair_->lock);
    if (&other == peer_) return false;  // would sit in its own queue
  }
  // An endpoint that already holds messages could hold (transitively) the
  // endpoint it is being sent to: a cycle. One holding none cannot.
  return other.queued() == 0;
}

libk::Result<void> Channel::write(Message* msg, Commit commit, void* ctx, Object* const* carried,
                                  size_t num_carried) {
  bool carries_channel = false;
  for (size_t i = 0; i < num_carried; i++)
    carries_channel |= carried[i]->type() == ObjectType::Channel;
  if (carries_channel) carry_lock.lock();
  auto result = write_locked(msg, commit, ctx, carried, num_carried);
  if (carries_channel) carry_lock.unlock();
  return result;
}

libk::Result<void> Channel::write_locked(Message* msg, Commit commit, void* ctx,
                                         Object* const* carried, size_t num_carried) {
  // Under the carry lock no other write that carries a channel runs, so a
  // carried endpoint with nothing queued now gets no message that could
  // hold a channel before this one is queued. (Looked at before this
  // pair's lock is taken: each queued() takes its own pair's.)
  bool refused = false;
  for (size_t i = 0; i < num_carried; i++) {
    if (carried[i]->type() != ObjectType::Channel) continue;
    auto* c = static_cast<Channel*>(carried[i]);
    refused |= c == this || c->queued() != 0;
  }
  SpinGuard g(pair_->lock);
  Channel* peer = peer_;
  if (!peer) return libk::err(ERR_PEER_CLOSED);
  for (size_t i = 0; i < num_carried; i++) refused |= carried[i] == peer;
  if (refused) return libk::err(ERR_INVALID_ARGS);
  if (peer->queue_.size() - peer->posted_ >= KEEL_CHANNEL_MAX_QUEUED)
    return libk::err(ERR_SHOULD_WAIT);
  if (commit) TRY(commit(ctx, msg));
  peer->queue_.push_back(*msg);
  peer->readers_.wake_one_next_locked();
  return libk::ok();
}

libk::Result<sched::Successor> Channel::write_short(const uint64_t* words, uint32_t n, Job* payer) {
  {
    SpinGuard g(pair_->lock);
    Channel* peer = peer_;
    if (!peer) return libk::err(ERR_PEER_CLOSED);
    Task* t = peer->readers_.first_waiter();
    if (t && t->mailbox.cap >= n && peer->queue_.empty()) {
      for (uint32_t i = 0; i < Task::Mailbox::WORDS; i++) t->mailbox.words[i] = words[i];
      t->mailbox.bytes = n;
      t->mailbox.full = true;
      return sched::Successor(peer->readers_.take_locked(*t));
    }
  }
  Message* m = TRY(Message::create(n, payer));
  memcpy(m->bytes, words, n);
  auto r = write(m);
  if (r.is_error()) {
    Message::destroy(m);
    return libk::err(r.error());
  }
  return sched::Successor{};
}

bool Channel::park(uintptr_t resume_sp, void (*resume_entry)(uint64_t, uint64_t), Task* next) {
  Task* self = sched::current();
  readers_.lock().lock();
  if (!queue_.empty() || peer_gone_) {
    readers_.lock().unlock();
    return false;
  }
  self->mailbox.cap = SHORT_BYTES;
  self->parked_on = this;
  self->parked_on_counted = true;
  readers_.park_locked(resume_sp, resume_entry, next);  // returns only if killed
  self->parked_on = nullptr;
  self->mailbox.cap = 0;
  readers_.lock().unlock();
  sched::wait_out_queue_lookups(*self);  // its killer may have seen it on this queue
  return false;
}

libk::Result<Message*> Channel::read(Deadline deadline, size_t bytes_cap, size_t handles_cap,
                                     uint32_t* need_bytes, uint32_t* need_handles,
                                     sched::Successor next) {
  Task* self = sched::current();
  SpinGuard r(readers_.lock());
  for (;;) {
    if (Message* m = queue_.front()) {
      *need_bytes = m->num_bytes;
      *need_handles = m->num_handles;
      if (m->num_bytes > bytes_cap || m->num_handles > handles_cap) {
        // This reader leaves the message queued: another waiter may take it.
        readers_.wake_one_locked();
        return libk::err(ERR_BUFFER_TOO_SMALL);
      }
      queue_.remove(*m);
      if (m->posted) posted_--;
      return m;
    }
    if (peer_gone_) return libk::err(ERR_PEER_CLOSED);
    if (deadline.is_poll()) return libk::err(ERR_SHOULD_WAIT);
    // While blocked, a writer may hand a short message that fits straight
    // into our mailbox (write_short) instead of queueing it.
    self->mailbox.cap = static_cast<uint32_t>(bytes_cap < SHORT_BYTES ? bytes_cap : SHORT_BYTES);
    auto woken = readers_.block_locked(deadline, std::move(next));
    self->mailbox.cap = 0;
    if (self->mailbox.full) {
      self->mailbox.full = false;
      *need_bytes = self->mailbox.bytes;
      *need_handles = 0;
      return nullptr;
    }
    TRY(woken);
  }
}

uint64_t Channel::peer_koid() { return peer_koid_; }

bool Channel::peer_closed() {
  SpinGuard r(readers_.lock());
  return peer_gone_;
}

void Channel::post(Message* m) {
  SpinGuard r(readers_.lock());
  m->posted = true;
  posted_++;
  queue_.push_back(*m);
  readers_.wake_one_locked();
}

size_t Channel::queued() {
  SpinGuard r(readers_.lock());
  return queue_.size();
}

namespace channel {
size_t messages_live() { return message_cache.live(); }
}  // namespace channel
