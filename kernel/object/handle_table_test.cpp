// Handle values never revive: a slot that reaches its last generation is
// retired when it closes, and the table never hands it out again.
#include "object/handle_table.h"

#include <libk/handle_value.h>

#include "ktest/ktest.h"
#include "object/channel.h"
#include "object/job.h"
#include "object/observer.h"
#include "object/process.h"

namespace {
constexpr uint32_t kRights = KEEL_RIGHT_READ | KEEL_RIGHT_INSPECT;

// Slot index of a value (the low bits).
uint32_t slot_of(keel_handle_t h) {
  uint32_t index = 0;
  uint64_t gen = 0;
  return libk::handle_decode(h, &index, &gen) ? index : UINT32_MAX;
}
}  // namespace

KTEST("handles.closed_slot_is_reused_with_the_next_generation") {
  RefPtr<Channel> a, b;
  KT_ASSERT(Channel::create_pair(&a, &b).ok());
  {
    HandleTable table;
    keel_handle_t first = table.add(RefPtr<Object>(a.get()), kRights).value();
    KT_EXPECT(table.close(first).ok());
    keel_handle_t second = table.add(RefPtr<Object>(b.get()), kRights).value();
    KT_EXPECT_EQ(slot_of(second), slot_of(first));
    KT_EXPECT(second != first);
    KT_EXPECT_EQ(table.lookup(first, 0, ObjectType(0)).error(), ERR_BAD_HANDLE);
    KT_EXPECT(table.lookup(second, 0, ObjectType(0)).ok());
    KT_EXPECT_EQ(table.retired_for_test(), 0u);
  }
}

KTEST("handles.slot_at_its_last_generation_retires") {
  RefPtr<Channel> a, b;
  KT_ASSERT(Channel::create_pair(&a, &b).ok());
  {
    HandleTable table;
    keel_handle_t h = table.add(RefPtr<Object>(a.get()), kRights).value();
    uint32_t slot = slot_of(h);
    // As if the slot had been closed 2^50 - 2 times already.
    table.set_generation_for_test(h, libk::kHandleLastGeneration);
    keel_handle_t last = libk::handle_encode(slot, libk::kHandleLastGeneration);
    KT_EXPECT_EQ(table.lookup(h, 0, ObjectType(0)).error(), ERR_BAD_HANDLE);  // h is stale now
    KT_EXPECT(table.lookup(last, 0, ObjectType(0)).ok());
    KT_EXPECT(table.close(last).ok());
    KT_EXPECT_EQ(table.retired_for_test(), 1u);
    KT_EXPECT_EQ(table.count(), 0u);
    // The lowest free slot is the retired one's: it is skipped, by add() and
    // by reserve() alike.
    KT_EXPECT(table.reserve(1).ok());
    keel_handle_t next = table.add(RefPtr<Object>(b.get()), kRights).value();
    KT_EXPECT(slot_of(next) != slot);
    for (keel_handle_t old : {h, last, libk::handle_encode(slot, libk::kHandleFirstGeneration)})
      KT_EXPECT_EQ(table.lookup(old, 0, ObjectType(0)).error(), ERR_BAD_HANDLE);
    KT_EXPECT_EQ(table.close(last).error(), ERR_BAD_HANDLE);
    // Filling the table uses every other slot and never the retired one.
    size_t added = 1;
    while (table.add(RefPtr<Object>(b.get()), kRights).ok()) added++;
    KT_EXPECT_EQ(added, size_t{HandleTable::MAX} - 1);
    KT_EXPECT(table.reserve(1).is_error());
    KT_EXPECT_EQ(table.retired_for_test(), 1u);
  }
}

// Slots a syscall reserved in decode stay its own: another task of the
// process filling the table meanwhile cannot take them, and whatever the
// syscall did not use goes back when its reservation ends.
KTEST("handles.reserved_slots_are_not_taken_by_others") {
  RefPtr<Channel> a, b;
  KT_ASSERT(Channel::create_pair(&a, &b).ok());
  HandleTable table;
  {
    auto r = table.reserve(2);
    KT_ASSERT(r.ok());
    HandleTable::Reservation mine = r.release_value();
    size_t added = 0;
    while (table.add(RefPtr<Object>(b.get()), kRights).ok()) added++;
    KT_EXPECT_EQ(added, size_t{HandleTable::MAX} - 2);  // the other task ran out first
    KT_EXPECT(table.reserve(1).is_error());
    keel_handle_t h = table.add(mine, RefPtr<Object>(a.get()), kRights);
    KT_EXPECT(table.lookup(h, kRights, ObjectType(0)).ok());
    KT_EXPECT_EQ(mine.size(), 1u);
  }
  // The unused slot went back with the reservation.
  KT_EXPECT(table.add(RefPtr<Object>(b.get()), kRights).ok());
  KT_EXPECT(table.add(RefPtr<Object>(b.get()), kRights).is_error());
  KT_EXPECT_EQ(table.count(), size_t{HandleTable::MAX});
}

// A move takes every handle or none: one closed between the check and the
// take (by another task of the process) fails the whole move, the others
// stay where they were.
KTEST("handles.take_all_is_all_or_nothing") {
  RefPtr<Channel> a, b;
  KT_ASSERT(Channel::create_pair(&a, &b).ok());
  constexpr uint32_t movable = kRights | KEEL_RIGHT_TRANSFER;
  HandleTable table;
  keel_handle_t hs[3] = {table.add(RefPtr<Object>(a.get()), movable).value(),
                         table.add(RefPtr<Object>(b.get()), movable).value(),
                         table.add(RefPtr<Object>(b.get()), kRights).value()};
  MovedHandle out[3];
  KT_EXPECT_EQ(table.take_all(hs, 3, KEEL_RIGHT_TRANSFER, out).error(), ERR_ACCESS_DENIED);
  KT_EXPECT(table.close(hs[1]).ok());  // the other task's close
  KT_EXPECT_EQ(table.take_all(hs, 2, KEEL_RIGHT_TRANSFER, out).error(), ERR_BAD_HANDLE);
  keel_handle_t twice[2] = {hs[0], hs[0]};
  KT_EXPECT_EQ(table.take_all(twice, 2, KEEL_RIGHT_TRANSFER, out).error(), ERR_INVALID_ARGS);
  KT_EXPECT_EQ(table.count(), 2u);
  KT_EXPECT(!out[0].object && !out[1].object);
  KT_ASSERT(table.take_all(hs, 1, KEEL_RIGHT_TRANSFER, out).ok());
  KT_EXPECT(out[0].object.get() == a.get());
  KT_EXPECT_EQ(table.count(), 1u);
  KT_EXPECT_EQ(table.lookup(hs[0], 0, ObjectType(0)).error(), ERR_BAD_HANDLE);
}

// A chunk emptied while the rest has room goes back to the heap; when it is
// allocated again, no value it handed out before names anything.
KTEST("handles.idle_chunk_is_freed_and_its_values_stay_dead") {
  RefPtr<Channel> a, b;
  KT_ASSERT(Channel::create_pair(&a, &b).ok());
  {
    HandleTable table;
    constexpr uint32_t N = 3 * HandleTable::CHUNK;
    static keel_handle_t hs[N];
    for (uint32_t i = 0; i < N; i++) hs[i] = table.add(RefPtr<Object>(a.get()), kRights).value();
    size_t chunks = 0;
    table.for_each_chunk([&](void*) { chunks++; });
    KT_EXPECT_EQ(chunks, 3u);
    for (uint32_t i = HandleTable::CHUNK; i < N; i++) KT_EXPECT(table.close(hs[i]).ok());
    chunks = 0;
    table.for_each_chunk([&](void*) { chunks++; });
    KT_EXPECT_EQ(chunks, 2u);  // the last went; the middle one waits for half a chunk of room
    for (uint32_t i = 0; i < HandleTable::CHUNK / 2; i++) KT_EXPECT(table.close(hs[i]).ok());
    chunks = 0;
    table.for_each_chunk([&](void*) { chunks++; });
    KT_EXPECT_EQ(chunks, 1u);
    // Grow again over the freed chunks: old values stay dead, new ones work.
    static keel_handle_t again[N];
    for (uint32_t i = 0; i < N - HandleTable::CHUNK / 2; i++)
      again[i] = table.add(RefPtr<Object>(b.get()), kRights).value();
    for (uint32_t i = HandleTable::CHUNK / 2; i < N; i++) {
      if (i >= HandleTable::CHUNK) {
        KT_EXPECT_EQ(table.lookup(hs[i], 0, ObjectType(0)).error(), ERR_BAD_HANDLE);
        KT_EXPECT_EQ(table.close(hs[i]).error(), ERR_BAD_HANDLE);
      }
    }
    size_t live = 0;
    for (uint32_t i = 0; i < N - HandleTable::CHUNK / 2; i++) {
      live += table.lookup(again[i], 0, ObjectType(0)).ok();
      for (uint32_t k = HandleTable::CHUNK; k < N; k++)
        if (again[i] == hs[k]) live = 0;  // a revived value
    }
    KT_EXPECT_EQ(live, size_t{N - HandleTable::CHUNK / 2});
  }
}

// An object counts its handles apart from its references: a table slot, a
// duplicate, a handle in a message each count; a lookup's reference does
// not. When the last handle goes, the object hears of it there and then,
// though a lookup's reference still keeps it alive.
namespace {
class Counted final : public Object {
 public:
  static RefPtr<Counted> make() {
    auto c = cache.create();
    return c.ok() ? libk::adopt(c.value()) : RefPtr<Counted>();
  }
  int zero_handles = 0;

 private:
  friend class TypedCache<Counted>;
  Counted() : Object(ObjectType::Test) {}
  void on_zero_handles() override { zero_handles++; }
  void destroy() override { cache.destroy(this); }
  static TypedCache<Counted> cache;
};
TypedCache<Counted> Counted::cache("test_counted");
}  // namespace

KTEST("handles.last_handle_is_heard_of_before_the_last_reference") {
  RefPtr<Counted> c = Counted::make();
  KT_ASSERT(c);
  libk::Quota quota(nullptr, {0, 0, 0, 0});
  HandleTable table;
  table.set_quota(&quota);
  keel_handle_t h = KT_TRY(
      table.add(RefPtr<Object>(c.get()), kRights | KEEL_RIGHT_DUPLICATE | KEEL_RIGHT_TRANSFER));
  KT_EXPECT_EQ(c->handle_count(), 1u);
  keel_handle_t d = KT_TRY(table.duplicate(h, KEEL_RIGHTS_SAME));
  KT_EXPECT_EQ(c->handle_count(), 2u);
  RefPtr<Object> looked = KT_TRY(table.lookup(h, 0, ObjectType::Test));
  KT_EXPECT_EQ(c->handle_count(), 2u);  // a lookup is no handle
  // Into a message: the handle travels, still one (the table no longer
  // charges it).
  MovedHandle moved;
  KT_ASSERT(table.take_all(&d, 1, KEEL_RIGHT_TRANSFER, &moved).ok());
  KT_EXPECT_EQ(quota.used(libk::Quota::Handles), 1u);
  Message* m = KT_TRY(Message::create(1, nullptr));
  m->add_handle(std::move(moved));
  KT_EXPECT_EQ(c->handle_count(), 2u);
  Message::destroy(m);
  KT_EXPECT_EQ(c->handle_count(), 1u);
  KT_EXPECT_EQ(c->zero_handles, 0);
  KT_EXPECT(table.close(h).ok());
  KT_EXPECT_EQ(c->handle_count(), 0u);
  KT_EXPECT_EQ(c->zero_handles, 1);  // heard of at the close, with `looked` still held
  KT_EXPECT_EQ(quota.used(libk::Quota::Handles), 0u);
  looked.reset();
  KT_EXPECT_EQ(c->ref_count(), 1u);
  KT_EXPECT_EQ(c->zero_handles, 1);
}

// The IPC fast path's lookup skips the value's separate checks (see
// lookup_fast): it must still take exactly what lookup takes, with the same
// type and rights, and refuse everything else: values no slot can have, a
// closed slot's, an observer's, the wrong type, missing rights. Each
// reference it takes is one more on the object.
KTEST("handles.fast_lookup_takes_exactly_what_lookup_takes") {
  RefPtr<Channel> a, b, c, d;
  KT_ASSERT(Channel::create_pair(&a, &b).ok());
  KT_ASSERT(Channel::create_pair(&c, &d).ok());
  auto j = Job::create_child(Job::root(), keel_job_limits{});
  KT_ASSERT(j.ok());
  RefPtr<Job> job = j.release_value();
  auto p = Process::create("watched", 0, *job);
  KT_ASSERT(p.ok());
  RefPtr<Process> proc = p.release_value();
  {
    HandleTable table;
    constexpr uint32_t RW = KEEL_RIGHT_READ | KEEL_RIGHT_WRITE;
    keel_handle_t rw = table.add(RefPtr<Object>(a.get()), RW).value();
    keel_handle_t read_only = table.add(RefPtr<Object>(b.get()), KEEL_RIGHT_READ).value();
    keel_handle_t closed = table.add(RefPtr<Object>(c.get()), RW).value();
    KT_ASSERT(table.close(closed).ok());
    keel_handle_t reopened = table.add(RefPtr<Object>(d.get()), RW).value();  // closed's slot
    keel_handle_t process = table.add(RefPtr<Object>(proc.get()), RW).value();
    auto r = table.reserve(1);
    KT_ASSERT(r.ok());
    HandleTable::Reservation slot = r.release_value();
    ObserverLink* link = KT_TRY(observer::create(*proc));
    keel_handle_t observer = table.add_observer(slot, link, KEEL_RIGHT_INSPECT);

    uint32_t i = slot_of(rw);
    const keel_handle_t values[] = {
        rw,
        read_only,
        closed,
        reopened,
        process,
        observer,
        0,
        rw | (uint64_t{1} << 63),                             // bit 63: no slot has it
        rw & ~uint64_t{libk::kHandleMaxSlots},                // index bits 0
        rw & uint64_t{libk::kHandleMaxSlots},                 // generation 0
        libk::handle_encode(i, libk::kHandleLastGeneration),  // a generation not reached
        libk::handle_encode(HandleTable::MAX, 1),             // past the table
        libk::handle_encode(libk::kHandleMaxSlots - 1, 1),    // the last index values have
        ~uint64_t{0},
        uint64_t{1} << 62,
        libk::handle_encode(i, 1) + 1,
    };
    for (keel_handle_t h : values)
      for (uint32_t rights : {uint32_t{0}, uint32_t{KEEL_RIGHT_READ}, RW})
        for (ObjectType type : {ObjectType::Channel, ObjectType::Process}) {
          // An observer's lookup resolves it; the fast path leaves that to
          // the general one.
          auto slow = table.lookup(h, rights, type);
          Object* want = slow.ok() && h != observer ? slow.value().get() : nullptr;
          uint32_t before = want ? want->ref_count() : 0;
          arch::irq_disable();
          Object* fast = table.lookup_fast(h, rights, type);
          arch::irq_enable();
          if (fast != want)
            ::ktest::fail(__FILE__, __LINE__, "value %#lx, rights %#x, type %u: fast %p, lookup %p",
                          h, rights, static_cast<unsigned>(type), static_cast<void*>(fast),
                          static_cast<void*>(want));
          if (!fast) continue;
          KT_EXPECT_EQ(fast->ref_count(), before + 1);
          fast->unref();
        }
    // The ones that must be found at all, to show the comparison means something.
    arch::irq_disable();
    Object* found[] = {table.lookup_fast(rw, RW, ObjectType::Channel),
                       table.lookup_fast(read_only, KEEL_RIGHT_READ, ObjectType::Channel),
                       table.lookup_fast(reopened, RW, ObjectType::Channel),
                       table.lookup_fast(process, RW, ObjectType::Process)};
    Object* refused[] = {table.lookup_fast(read_only, RW, ObjectType::Channel),
                         table.lookup_fast(closed, RW, ObjectType::Channel),
                         table.lookup_fast(observer, 0, ObjectType::Process),
                         table.lookup_fast(rw, RW, ObjectType::Process)};
    arch::irq_enable();
    KT_EXPECT(found[0] == a.get() && found[1] == b.get() && found[2] == d.get() &&
              found[3] == proc.get());
    for (Object* o : found)
      if (o) o->unref();
    for (Object* o : refused) KT_EXPECT(o == nullptr);
    KT_EXPECT(table.lookup(observer, 0, ObjectType::Process).ok());  // a working observer
  }
}
