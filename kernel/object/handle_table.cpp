#include "handle_table.h"

#include <libk/handle_value.h>

#include <new>
#include <utility>

#include "lib/panic.h"
#include "mm/kmalloc.h"
#include "mm/kstat.h"
#include "object/process.h"

HandleTable::~HandleTable() { close_all(); }

HandleSlot* HandleTable::slot(uint32_t index) {
  if (index >= MAX) return nullptr;
  HandleSlot* c = chunks_[index / CHUNK];
  return c ? &c[index % CHUNK] : nullptr;
}

libk::Result<HandleSlot*> HandleTable::decode(keel_handle_t h, uint32_t* index) {
  uint64_t gen;
  if (!libk::handle_decode(h, index, &gen)) return libk::err(ERR_BAD_HANDLE);
  HandleSlot* s = slot(*index);
  if (!s || !s->used || s->generation != gen) return libk::err(ERR_BAD_HANDLE);
  return s;
}

libk::Result<HandleSlot*> HandleTable::decode_live(keel_handle_t h, uint32_t* index) {
  HandleSlot* s = TRY(decode(h, index));
  if (s->observer && observer::revoked(s->observer)) return libk::err(ERR_REVOKED);
  return s;
}

bool HandleTable::grow() {
  for (uint32_t k = 0; k < MAX / CHUNK; k++) {
    if (chunks_[k]) continue;
    auto mem = kmalloc(CHUNK * sizeof(HandleSlot));
    if (mem.is_error()) return false;
    auto* c = static_cast<HandleSlot*>(mem.value());
    for (uint32_t i = 0; i < CHUNK; i++) {
      new (&c[i]) HandleSlot();
      if (floor_[k] > c[i].generation) c[i].generation = floor_[k];
    }
    chunks_[k] = c;
    free_ += CHUNK;
    return true;
  }
  return false;  // the table is full
}

bool HandleTable::ensure_unreserved(size_t n) {
  while (free_ - reserved_ < n)
    if (!grow()) return false;
  return true;
}

uint32_t HandleTable::free_index() {
  KASSERT(free_ > 0);
  for (uint32_t i = hint_; i < MAX; i++) {
    HandleSlot* c = chunks_[i / CHUNK];
    if (!c) {
      i += CHUNK - 1 - i % CHUNK;
      continue;
    }
    if (c[i % CHUNK].usable()) {
      hint_ = i;
      return i;
    }
  }
  panic("handle_table: %zu free slots counted, none found", free_);
}

libk::Result<HandleTable::Reservation> HandleTable::reserve(size_t n) {
  SpinGuard g(lock_);
  if (!charge(n)) return libk::err(ERR_NO_MEMORY);
  if (!ensure_unreserved(n)) {
    uncharge(n);
    return libk::err(ERR_NO_MEMORY);
  }
  reserved_ += n;
  return Reservation(this, n);
}

HandleTable::Reservation HandleTable::reserve_up_to(size_t n) {
  if (n == 0) return Reservation();  // the common read: no handles expected, no lock
  SpinGuard g(lock_);
  ensure_unreserved(n);  // as far as it goes
  size_t got = free_ - reserved_ < n ? free_ - reserved_ : n;
  while (got && !charge(got)) got--;  // and as far as the quota allows
  reserved_ += got;
  return Reservation(this, got);
}

void HandleTable::unreserve(size_t n) {
  SpinGuard g(lock_);
  KASSERT(reserved_ >= n);
  reserved_ -= n;
  uncharge(n);
}

void HandleTable::Reservation::release() {
  if (table_ && n_) table_->unreserve(n_);
  table_ = nullptr;
  n_ = 0;
}

HandleTable::Reservation& HandleTable::Reservation::operator=(Reservation&& o) {
  if (this != &o) {
    release();
    table_ = o.table_, n_ = o.n_;
    o.table_ = nullptr, o.n_ = 0;
  }
  return *this;
}

keel_handle_t HandleTable::install(uint32_t index, HandleRef object, ObserverLink* link,
                                   uint32_t rights) {
  HandleSlot* s = slot(index);
  s->object = std::move(object);
  s->observer = link;
  s->rights = rights;
  s->used = true;
  used_in_[index / CHUNK]++;
  count_++;
  free_--;
  kstat::add(kstat::Counter::handles_live, 1);
  return libk::handle_encode(index, s->generation);
}

libk::Result<keel_handle_t> HandleTable::add(HandleRef object, uint32_t rights) {
  SpinGuard g(lock_);
  if (!ensure_unreserved(1) || !charge(1)) return libk::err(ERR_NO_MEMORY);
  return install(free_index(), std::move(object), nullptr, rights);
}

keel_handle_t HandleTable::add(Reservation& r, HandleRef object, uint32_t rights) {
  KASSERT(r.table_ == this && r.n_ > 0);
  SpinGuard g(lock_);
  r.n_--, reserved_--;
  return install(free_index(), std::move(object), nullptr, rights);
}

keel_handle_t HandleTable::add_observer(Reservation& r, ObserverLink* link, uint32_t rights) {
  KASSERT(r.table_ == this && r.n_ > 0);
  SpinGuard g(lock_);
  r.n_--, reserved_--;
  return install(free_index(), HandleRef(), link, rights);
}

libk::Result<RefPtr<Object>> HandleTable::lookup(keel_handle_t h, uint32_t rights,
                                                 ObjectType type) {
  RefPtr<Object> object;
  uint32_t held;
  {
    SpinGuard g(lock_);
    uint32_t index;
    HandleSlot* s = TRY(decode(h, &index));
    held = s->rights;
    if (s->observer) {
      RefPtr<Process> p = TRY(observer::resolve(s->observer));  // ERR_REVOKED
      object = std::move(p);
    } else {
      object = s->object.ref();
    }
  }
  if (static_cast<uint8_t>(type) != 0 && object->type() != type) return libk::err(ERR_WRONG_TYPE);
  if (!libk::rights_subset(rights, held)) return libk::err(ERR_ACCESS_DENIED);
  return object;
}

libk::Result<uint32_t> HandleTable::rights_of(keel_handle_t h) {
  SpinGuard g(lock_);
  uint32_t index;
  HandleSlot* s = TRY(decode(h, &index));
  return s->rights;
}

void HandleTable::clear_slot(uint32_t index, MovedHandle* out_object, ObserverLink** out_link) {
  HandleSlot& s = *slot(index);
  used_in_[index / CHUNK]--;
  // Into an empty one: dropping a handle here, under the lock, could run
  // on_zero_handles (a job's kill) in the wrong place.
  KASSERT(!out_object->object);
  out_object->object = std::move(s.object);
  out_object->rights = s.rights;
  *out_link = s.observer;
  s.observer = nullptr;
  s.rights = 0;
  s.used = false;
  s.generation = libk::handle_next_generation(s.generation);  // 0 retires the slot
  if (s.generation != 0) free_++;
  count_--;
  uncharge(1);
  kstat::add(kstat::Counter::handles_live, -1);
}

// A handle that has `rights` and may leave its table. The spawner's handle
// to a suspended process does not (closing it kills the process: no
// handle kept anywhere else, even in a queue of that process's own
// channels, keeps it suspended); once the process started, it moves
// without START. (A start racing this only makes the move fail.)
bool HandleTable::movable(const HandleSlot& s, uint32_t rights) {
  if (!libk::rights_subset(rights, s.rights)) return false;
  if (!(s.rights & KEEL_RIGHT_START)) return true;
  Object* o = s.object.get();
  return o->type() == ObjectType::Process && static_cast<Process*>(o)->started();
}

// The START handle closed (close, close_all): a suspended process is killed.
void HandleTable::start_handle_closed(const MovedHandle& h) {
  if ((h.rights & KEEL_RIGHT_START) && h.object && h.object->type() == ObjectType::Process)
    static_cast<Process*>(h.object.get())->start_handle_gone();
}

libk::Result<void> HandleTable::close(keel_handle_t h) {
  MovedHandle dropped;
  ObserverLink* link = nullptr;
  {
    SpinGuard g(lock_);
    uint32_t index;
    TRY(decode(h, &index));
    clear_slot(index, &dropped, &link);
    if (index < hint_) hint_ = index;
    shrink_if_idle();
  }
  // References are released outside the lock: dropping one may destroy an
  // object whose teardown takes other locks.
  start_handle_closed(dropped);
  if (link) observer::destroy(link);
  return libk::ok();
}

void HandleTable::shrink_if_idle() {
  if (free_ < CHUNK + reserved_ + CHUNK / 2) return;  // the common case: one compare
  uint32_t k = MAX / CHUNK - 1;
  while (k > 0 && (!chunks_[k] || used_in_[k] != 0)) k--;
  if (k == 0) return;  // the first chunk stays
  HandleSlot* c = chunks_[k];
  uint64_t floor = floor_[k];
  for (uint32_t i = 0; i < CHUNK; i++) {
    if (c[i].generation == 0) return;  // a retired slot must stay retired: keep the chunk
    if (c[i].generation > floor) floor = c[i].generation;
  }
  floor_[k] = floor;
  chunks_[k] = nullptr;
  free_ -= CHUNK;
  for (uint32_t i = 0; i < CHUNK; i++) c[i].~HandleSlot();
  kfree(c);
}

libk::Result<keel_handle_t> HandleTable::duplicate(keel_handle_t h, uint32_t rights) {
  SpinGuard g(lock_);
  uint32_t index;
  HandleSlot* s = TRY(decode_live(h, &index));
  if (!(s->rights & KEEL_RIGHT_DUPLICATE)) return libk::err(ERR_ACCESS_DENIED);
  if (rights == KEEL_RIGHTS_SAME) rights = s->rights;
  if (!libk::rights_subset(rights, s->rights)) return libk::err(ERR_ACCESS_DENIED);
  rights &= ~KEEL_RIGHT_START;  // never copied: the spawner's handle alone starts it
  if (s->observer) return libk::err(ERR_ACCESS_DENIED);  // observers are never copied
  if (!ensure_unreserved(1) || !charge(1)) return libk::err(ERR_NO_MEMORY);
  // A second handle (not the last: the slot keeps the first).
  return install(free_index(), HandleRef(s->object.ref()), nullptr, rights);
}

libk::Result<void> HandleTable::check_movable(keel_handle_t h, uint32_t rights) {
  SpinGuard g(lock_);
  uint32_t index;
  HandleSlot* s = TRY(decode_live(h, &index));
  if (s->observer || !movable(*s, rights)) return libk::err(ERR_ACCESS_DENIED);
  return libk::ok();
}

libk::Result<void> HandleTable::take_all(const keel_handle_t* hs, size_t n, uint32_t rights,
                                         MovedHandle* out) {
  SpinGuard g(lock_);
  uint32_t index;
  for (size_t i = 0; i < n; i++) {
    for (size_t k = 0; k < i; k++)
      if (hs[k] == hs[i]) return libk::err(ERR_INVALID_ARGS);
    HandleSlot* s = TRY(decode_live(hs[i], &index));
    if (s->observer || !movable(*s, rights)) return libk::err(ERR_ACCESS_DENIED);
  }
  for (size_t i = 0; i < n; i++) {
    (void)decode(hs[i], &index).value();  // checked above, under this hold
    ObserverLink* link = nullptr;
    clear_slot(index, &out[i], &link);
    out[i].rights &= ~KEEL_RIGHT_START;  // stays with the spawner: never moves
    if (index < hint_) hint_ = index;
    shrink_if_idle();
  }
  return libk::ok();
}

void HandleTable::set_generation_for_test(keel_handle_t h, uint64_t generation) {
  SpinGuard g(lock_);
  uint32_t index;
  auto s = decode(h, &index);
  if (s.is_error()) panic("handle_table: set_generation_for_test(%#lx): no such handle", h);
  s.value()->generation = generation;
}

size_t HandleTable::retired_for_test() {
  SpinGuard g(lock_);
  size_t n = 0;
  for (HandleSlot* c : chunks_)
    if (c)
      for (uint32_t i = 0; i < CHUNK; i++) n += !c[i].used && c[i].generation == 0;
  return n;
}

void HandleTable::close_all() {
  for (uint32_t i = 0; i < MAX; i++) {
    MovedHandle dropped;
    ObserverLink* link = nullptr;
    {
      SpinGuard g(lock_);
      if (!chunks_[i / CHUNK]) {
        i += CHUNK - 1;
        continue;
      }
      if (!slot(i)->used) continue;
      clear_slot(i, &dropped, &link);
    }
    start_handle_closed(dropped);
    if (link) observer::destroy(link);
  }
  // Then the slots themselves: an exited process's record keeps no table.
  HandleSlot* chunks[MAX / CHUNK];
  {
    SpinGuard g(lock_);
    for (uint32_t k = 0; k < MAX / CHUNK; k++) {
      chunks[k] = chunks_[k];
      chunks_[k] = nullptr;
    }
    hint_ = 0;
    free_ = 0;
    KASSERT(reserved_ == 0);  // the process's last task is out of every syscall
  }
  for (HandleSlot* c : chunks) {
    if (!c) continue;
    for (uint32_t i = 0; i < CHUNK; i++) c[i].~HandleSlot();
    kfree(c);
  }
}
