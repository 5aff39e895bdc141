// HandleTable: a process's capabilities. Each slot holds either an owning
// reference to an object or an observer link, plus a rights mask and a
// generation. lookup() is the one path from a handle value to an object: it
// checks value, generation, revocation, type and rights, in that order, so no
// syscall can forget a check.
//
// A value handed out never names anything again once its handle is gone:
// every close moves the slot's generation on, and a slot whose generations
// are used up is retired (generation 0) instead of wrapping. See
// libk/handle_value.h for the encoding and the arithmetic.
#pragma once
#include <arch/spinlock.h>
#include <keel/syscall.h>
#include <libk/handle_value.h>
#include <libk/quota.h>
#include <libk/result.h>
#include <stddef.h>
#include <stdint.h>

#include "object/handle_ref.h"
#include "object/object.h"
#include "object/observer.h"

struct HandleSlot {
  HandleRef object;                                    // owning handle: the handle this slot owns
  ObserverLink* observer = nullptr;                    // observer handle: the link this slot owns
  uint64_t generation = libk::kHandleFirstGeneration;  // 0: retired, never used again
  uint32_t rights = 0;
  bool used = false;
  bool usable() const { return !used && generation != 0; }
};

// 32 bytes: a slot's place in its chunk is a shift (the IPC fast path's lookup).
static_assert(sizeof(HandleSlot) == 32);

// What leaves a table when a handle is moved (through a channel or spawn).
struct MovedHandle {
  HandleRef object;
  uint32_t rights = 0;
};

class HandleTable {
 public:
  static constexpr uint32_t CHUNK = 64;
  static constexpr uint32_t MAX = KEEL_MAX_HANDLES_PER_PROCESS;

  HandleTable() = default;
  // Charge every handle (and reserved slot) to this quota from now on: a
  // table's charge is count() plus the slots reserved. Set once, empty.
  void set_quota(libk::Quota* q) { quota_ = q; }
  HandleTable(const HandleTable&) = delete;
  HandleTable& operator=(const HandleTable&) = delete;
  ~HandleTable();

  // Slots set aside for handles a syscall will add once it can no longer
  // fail (decode reserves, invoke adds): another task of the process cannot
  // take them meanwhile. Whatever is not used goes back when it is destroyed.
  class Reservation {
   public:
    Reservation() = default;
    Reservation(Reservation&& o) : table_(o.table_), n_(o.n_) { o.table_ = nullptr, o.n_ = 0; }
    Reservation& operator=(Reservation&& o);
    Reservation(const Reservation&) = delete;
    ~Reservation() { release(); }
    size_t size() const { return n_; }

   private:
    friend class HandleTable;
    Reservation(HandleTable* t, size_t n) : table_(t), n_(n) {}
    void release();
    HandleTable* table_ = nullptr;
    size_t n_ = 0;
  };

  // Into a free slot: ERR_NO_MEMORY if the table is full (slots reserved by
  // others count as taken), no memory for more slots or over the quota.
  // A RefPtr becomes a new handle; a HandleRef (moved here) stays the one it is.
  libk::Result<keel_handle_t> add(HandleRef object, uint32_t rights);
  libk::Result<keel_handle_t> add(RefPtr<Object> object, uint32_t rights) {
    return add(HandleRef(std::move(object)), rights);
  }
  // Into a slot of `r` (which must have one left): cannot fail.
  keel_handle_t add(Reservation& r, HandleRef object, uint32_t rights);
  keel_handle_t add(Reservation& r, RefPtr<Object> object, uint32_t rights) {
    return add(r, HandleRef(std::move(object)), rights);
  }
  keel_handle_t add_observer(Reservation& r, ObserverLink* link, uint32_t rights);
  // Set aside `n` slots, or ERR_NO_MEMORY (no memory, or over the quota)
  // and nothing set aside.
  libk::Result<Reservation> reserve(size_t n);
  // As many of `n` slots as can be set aside (maybe fewer, maybe 0).
  Reservation reserve_up_to(size_t n);

  // The one checked lookup path. type 0 accepts any type.
  libk::Result<RefPtr<Object>> lookup(keel_handle_t h, uint32_t rights, ObjectType type);
  template <typename T>
  libk::Result<RefPtr<T>> lookup_as(keel_handle_t h, uint32_t rights) {
    RefPtr<Object> o = TRY(lookup(h, rights, T::kType));
    return libk::adopt(static_cast<T*>(o.leak_ref()));
  }
  // The IPC fast path's lookup: the object an owning handle names, if it is
  // of `type` and the handle has `rights`, with a reference taken for the
  // caller; nullptr for anything else (observers included), and the caller
  // takes the general path, which reports what was wrong.
  // Interrupts must be off.
  [[gnu::always_inline]] Object* lookup_fast(keel_handle_t h, uint32_t rights, ObjectType type,
                                             bool debug = lockdebug::enabled) {
    lock_.lock_irqs_off(debug);
    Object* o = named_by(h, rights, type);
    if (o) o->ref();
    lock_.unlock_irqs_off(debug, Spinlock::Release::MemoryOnly);
    return o;
  }
  // The same for the one task of a process that has no other (Process::
  // alone): nobody else changes its table (spawn fills a child's before its
  // task runs, and teardown is the last task's), so it reads the slot
  // without the lock, and the handle keeps the object until this task
  // closes it: no reference is taken.
  [[gnu::always_inline]] Object* lookup_unshared(keel_handle_t h, uint32_t rights,
                                                 ObjectType type) {
    return named_by(h, rights, type);
  }
  // Rights and kind of a handle (for object_info and duplicate).
  libk::Result<uint32_t> rights_of(keel_handle_t h);

  libk::Result<void> close(keel_handle_t h);
  libk::Result<keel_handle_t> duplicate(keel_handle_t h, uint32_t rights);
  // Check that h could be moved (exists, owning, has `rights`) without moving it.
  libk::Result<void> check_movable(keel_handle_t h, uint32_t rights);
  // Remove n handles for a move, all or none: each is checked as by
  // check_movable and taken under one hold of the lock, so another task of
  // the process closing one meanwhile makes this fail (ERR_BAD_HANDLE), not
  // leaves a half-done move.
  libk::Result<void> take_all(const keel_handle_t* hs, size_t n, uint32_t rights, MovedHandle* out);

  // Test hook: set the generation of h's slot, as if it had been closed that
  // many times (the only way to reach the last generation in a test).
  void set_generation_for_test(keel_handle_t h, uint64_t generation);
  size_t retired_for_test();

  // Visit every used slot: fn(object or null, observer link or null).
  template <typename F>
  void for_each(F&& fn) {
    SpinGuard g(lock_);
    for (HandleSlot* c : chunks_) {
      if (!c) continue;
      for (uint32_t i = 0; i < CHUNK; i++)
        if (c[i].used) fn(c[i].object.get(), c[i].observer);
    }
  }
  // Visit the table's slot chunks (kmalloc blocks it owns; the audit).
  template <typename F>
  void for_each_chunk(F&& fn) {
    SpinGuard g(lock_);
    for (HandleSlot* c : chunks_)
      if (c) fn(static_cast<void*>(c));
  }
  // Drop every handle and free the slots: the end of a process.
  void close_all();
  size_t count() const { return count_; }

 private:
  // What an owning handle names, if of `type` with `rights`; else nullptr.
  [[gnu::always_inline]] Object* named_by(keel_handle_t h, uint32_t rights, ObjectType type) {
    // No separate check of the value: one no slot can have fails below all
    // the same. Low bits 0 wrap the index past MAX; generation 0 (retired)
    // or past the last (bit 63 set) equals no slot that names an object;
    // and a slot names an object only while it is an owning handle in use
    // (install, clear_slot): an observer's or a free slot's is null.
    static_assert(libk::kHandleMaxSlots == (1u << libk::kHandleIndexBits) - 1 &&
                  MAX <= libk::kHandleMaxSlots);
    uint64_t index = (h & libk::kHandleMaxSlots) - 1;  // a whole register: no sign extension
    if (index >= MAX) return nullptr;
    HandleSlot* c = chunks_[index / CHUNK];
    if (!c) return nullptr;
    HandleSlot& s = c[index % CHUNK];
    Object* named = s.object.get();
    if (named && s.generation == h >> libk::kHandleIndexBits && named->type() == type &&
        libk::rights_subset(rights, s.rights))
      return named;
    return nullptr;
  }
  bool charge(size_t n) { return !quota_ || quota_->charge(libk::Quota::Handles, n); }
  void uncharge(size_t n) {
    if (quota_) quota_->uncharge(libk::Quota::Handles, n);
  }
  HandleSlot* slot(uint32_t index);
  libk::Result<HandleSlot*> decode(keel_handle_t h, uint32_t* index);
  // decode(), then ERR_REVOKED for an observer whose target is gone: the
  // order lookup() checks in, for the paths that do not resolve the object.
  libk::Result<HandleSlot*> decode_live(keel_handle_t h, uint32_t* index);
  // A usable slot's index (there must be one: free_ > 0).
  uint32_t free_index();
  // Allocate the first missing chunk of slots; false if none is missing or no memory.
  bool grow();
  // Make sure `n` usable slots beyond the reserved ones exist.
  bool ensure_unreserved(size_t n);
  void unreserve(size_t n);
  keel_handle_t install(uint32_t index, HandleRef object, ObserverLink* link, uint32_t rights);
  void clear_slot(uint32_t index, MovedHandle* out_object, ObserverLink** out_link);
  // Give an empty chunk (the highest, not the first) back to the heap if the
  // rest of the table has room to spare (so a table's memory follows its use, and a process
  // that once held many handles, procfs during a fork bomb, returns to its
  // size before). Half a chunk of slack keeps a table hovering at a chunk
  // boundary from allocating and freeing on every handle.
  void shrink_if_idle();
  static bool movable(const HandleSlot& s, uint32_t rights);
  static void start_handle_closed(const MovedHandle& h);

  Spinlock lock_{LockRank::HandleTable, "handle table"};
  HandleSlot* chunks_[MAX / CHUNK] = {};  // allocated on demand, freed when idle or by close_all()
  uint16_t used_in_[MAX / CHUNK] = {};    // used slots per chunk
  // The generation a chunk's slots start from when it is allocated again:
  // above every value the freed chunk handed out, so none names anything again.
  uint64_t floor_[MAX / CHUNK] = {};
  size_t count_ = 0;
  size_t free_ = 0;               // usable slots in the allocated chunks
  size_t reserved_ = 0;           // of which set aside by live Reservations
  uint32_t hint_ = 0;             // no free slot below this index
  libk::Quota* quota_ = nullptr;  // the process's job's (its owner outlives the table)
};
