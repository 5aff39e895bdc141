// Channel: one endpoint of a bidirectional message pipe. Messages carry
// bytes and handles; handles are moved (the sender loses them, and the
// objects travel as owning references inside the message).
//
// Ownership: handles own endpoints; endpoints do not own each other (a peer
// is a plain pointer, cleared under the pair's shared lock when either side
// dies, so a pair can never keep itself alive). An endpoint owns the
// messages queued *to* it. When an endpoint's last handle closes, its queued
// messages (and every handle inside them) are freed, iteratively, and the
// peer sees ERR_PEER_CLOSED once its own queue is drained.
#pragma once
#include <arch/trap.h>
#include <keel/syscall.h>
#include <libk/list.h>
#include <libk/refptr.h>
#include <libk/result.h>

#include "mm/slab.h"
#include "object/handle_table.h"
#include "object/job.h"
#include "object/object.h"
#include "sched/wait_queue.h"

struct Message {
  static constexpr uint32_t INLINE_BYTES = 128;  // short messages need no second allocation

  // User-provided, so creation does not zero the arrays (only the first
  // num_handles handle entries and num_bytes bytes are ever read).
  Message() {}

  libk::ListNode node;  // in the receiving endpoint's queue (which owns it)
  uint32_t num_bytes = 0;
  uint32_t num_handles = 0;
  bool posted = false;  // from the kernel (Channel::post): not counted against the queue limit
  // The first num_handles entries each own one handle and its reference
  // (HandleRef::leak: moved in from the sender's table, moved out into the
  // receiver's, dropped by destroy()).
  Object* handles[KEEL_CHANNEL_MAX_HANDLES];
  uint32_t rights[KEEL_CHANNEL_MAX_HANDLES];
  uint8_t* bytes = nullptr;  // inline_bytes, or a payload block (payload.h) when longer
  uint8_t inline_bytes[INLINE_BYTES];
  // Who pays while it waits: the sending process's job (null: the kernel's
  // notices, kernel tests). The kernel memory it holds is charged to the
  // payer's MessageBytes: itself and its payload block (cost()), and for
  // each handle inside, until a receiver takes it out, what the object it
  // keeps alive may take (HANDLE_COST: a channel endpoint, charged to no one
  // else while it travels). A handle is not charged to the payer's Handles:
  // that counts handles in tables, and the receiver's table charges it.
  RefPtr<Job> payer;

  // ERR_NO_MEMORY if the payer's quota has no room for it, or no memory.
  static libk::Result<Message*> create(uint32_t num_bytes, Job* payer);
  static void destroy(Message* m);  // drops the handles still inside, and the charges
  static uint64_t cost(uint32_t num_bytes);
  static const uint64_t HANDLE_COST;
  // Before n handles are added: ERR_NO_MEMORY if the payer cannot pay.
  libk::Result<void> charge_handles(uint32_t n);
  void uncharge_handles(uint32_t n);
  void add_handle(MovedHandle h) {
    rights[num_handles] = h.rights;
    handles[num_handles++] = h.object.leak();
  }
  MovedHandle take_handle(uint32_t i) {  // moves the handle out (into a table that charged it)
    MovedHandle h{HandleRef::adopt(handles[i]), rights[i]};
    handles[i] = nullptr;
    uncharge_handles(1);
    return h;
  }
};

// Shared by the two endpoints of a pair: the lock that guards both of them
// (their peer links, queues and waiting readers: one lock for an exchange).
struct ChannelPair : libk::RefCounted<ChannelPair> {
  Spinlock lock{LockRank::ChannelPair, "channel pair"};
  void on_last_unref();
};

class Channel final : public Object {
 public:
  static constexpr ObjectType kType = ObjectType::Channel;

  static libk::Result<void> create_pair(RefPtr<Channel>* a, RefPtr<Channel>* b);

  // Queue `msg` at the peer. On success the message belongs to the peer;
  // on error it is still the caller's. ERR_PEER_CLOSED, ERR_SHOULD_WAIT (full).
  // `commit` runs under the channel's locks once nothing else can fail the
  // write, so the caller can move handles into the message at that moment
  // (and keep them if the write fails). If the commit fails (a handle was
  // closed meanwhile by another task), so does the write, with its error,
  // and nothing is queued.
  using Commit = libk::Result<void> (*)(void* ctx, Message* msg);
  // `carried` lists the objects the commit will move in: if any is a
  // channel, may_carry's rules are checked again atomically with the write.
  libk::Result<void> write(Message* msg, Commit commit = nullptr, void* ctx = nullptr,
                           Object* const* carried = nullptr, size_t num_carried = 0);
  // May `object` travel through this endpoint? Refused (ERR_INVALID_ARGS):
  // the receiving endpoint itself, and any endpoint with queued messages.
  // Both rules together make a cycle of endpoints that only own each other
  // through their queues impossible, so closing handles always frees all.
  bool may_carry(Object& object);
  // The fast path's send: a short message (at most SHORT_BYTES, no handles).
  // If a reader waits on the peer with nothing queued ahead of it, the bytes
  // go straight into its mailbox (Task::mailbox) and the reader comes back,
  // off its wait queue, for the caller to switch to; otherwise the message
  // is queued like any other (and the Successor is empty).
  static constexpr uint32_t SHORT_BYTES = Task::Mailbox::WORDS * sizeof(uint64_t);
  libk::Result<sched::Successor> write_short(const uint64_t* words, uint32_t n, Job* payer);
  // The register IPC fast path in one piece (called by syscall_trap_full;
  // interrupts off, from the trap frame of a full-frame syscall). A send
  // with no deadline on a channel handle of the calling process whose peer
  // has a reader parked first that last ran on this hart, takes n bytes and
  // is not being killed, with nothing queued here or there: the reader is
  // taken off its wait queue, the message written into its frame, and if
  // nobody is still looking it up (Task::queue_lookups) its reference on
  // its endpoint dropped (unless the last), the current task parked on its own
  // endpoint (resuming at `resume_entry` on its stack below its frame when
  // woken the general way), and the hart handed to the reader
  // (sched::hand_over). Returns the reader's frame and the parked task's
  // on_cpu for the assembly. {nullptr}: not taken, nothing changed.
  // {tf, nullptr}: the message went to the reader, but the hand-over could
  // not be made (this task is being killed or has an answer queued, the
  // reader is being looked up, or its reference is the last): the caller
  // makes the reader (*receiver, its reference) ready and receives the
  // general way, with its reference to this endpoint in *self_ref. (A
  // receiver killed just after it was taken still runs in user mode until
  // its next trap, within a tick: the kill found it off every queue and not
  // yet running.) Defined in channel_fast_path.h, for the syscall entry to
  // inline, once for each value of lockdebug::enabled (Debug), so that the
  // locks' checks of it are decided at compile time.
  template <bool Debug>
  static arch::FullReturn fast_path(const arch::UserArgs& args, arch::TrapFrame* tf,
                                    void (*resume_entry)(uint64_t, uint64_t), Channel** self_ref,
                                    Task** receiver);
  // Park the current task on this endpoint and switch away for good (to
  // `next` if given); a counted reference to the endpoint (the caller's)
  // moves to the task while it is parked. See WaitQueue::park_locked. False,
  // nothing changed, if a message is queued, the peer is gone or the task
  // is being killed.
  bool park(uintptr_t resume_sp, void (*resume_entry)(uint64_t, uint64_t), Task* next);
  // Take the next message, waiting until the deadline (Deadline::poll():
  // ERR_SHOULD_WAIT when none is queued). If it does not fit (bytes_cap/
  // handles_cap), it stays queued and ERR_BUFFER_TOO_SMALL comes back with
  // its sizes. nullptr: a short message was handed over while this task
  // waited; its bytes are in sched::current()->mailbox (need_bytes long).
  // With `next`, a task that blocks switches straight to it.
  libk::Result<Message*> read(Deadline deadline, size_t bytes_cap, size_t handles_cap,
                              uint32_t* need_bytes, uint32_t* need_handles,
                              sched::Successor next = {});
  // A message from the kernel into this endpoint's own queue (an exit
  // notice, observer.h), as if the peer had written it. Never refused: it
  // was allocated when it was asked for, so such messages are bounded by
  // the observers that asked, not by KEEL_CHANNEL_MAX_QUEUED.
  void post(Message* m);
  uint64_t peer_koid();
  bool peer_closed();
  size_t queued();
  // Steps taken by graveyards (bury) since boot, one per message, peer or
  // survivor handled: a teardown's work, counted exactly (tests).
  static uint64_t graveyard_steps_for_test();
  ChannelPair* pair_for_audit() { return pair_.get(); }
  // Visit the queued messages (the audit's walk), under the queue's lock.
  template <typename F>
  void for_each_queued(F&& fn) {
    SpinGuard r(readers_.lock());
    for (Message& m : queue_) fn(m);
  }

 private:
  friend class TypedCache<Channel>;
  libk::Result<void> write_locked(Message* msg, Commit commit, void* ctx, Object* const* carried,
                                  size_t num_carried);
  Channel();
  ~Channel();
  void destroy() override;
  struct Graveyard;
  static void bury(libk::IntrusiveList<Message, &Message::node>& q, RefPtr<Channel> peer);

  libk::RefPtr<ChannelPair> pair_;  // shared with the peer; set once, dropped by destroy
  uint64_t peer_koid_ = 0;          // set once
  // Guarded by pair_->lock: the peer link, the queue, its readers.
  Channel* peer_ = nullptr;                             // null once the peer is gone
  WaitQueue readers_;                                   // uses pair_->lock as its own (create_pair)
  libk::IntrusiveList<Message, &Message::node> queue_;  // owned messages
  size_t posted_ = 0;  // of which from the kernel (post): outside KEEL_CHANNEL_MAX_QUEUED
  bool peer_gone_ = false;
  libk::ListNode gone_node_;           // in a Graveyard's peers or survivors (bury)
  Graveyard* surviving_in_ = nullptr;  // the graveyard whose survivors it is in (atomic access)
};

// Word i of a register message n bytes long, taken from what the sender's
// register held: the bytes past the length are not sent (the receiver sees
// zeros there). Shared by the fast path and sys_ipc.cpp.
[[gnu::always_inline]] inline uint64_t ipc_message_word(uint64_t reg, unsigned i, uint64_t n) {
  uint64_t at = i * 8;
  if (at >= n) return 0;
  if (n - at < 8) return reg & ((uint64_t{1} << ((n - at) * 8)) - 1);
  return reg;
}

namespace channel {
size_t messages_live();
}
