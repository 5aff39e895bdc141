// Handles: close, duplicate, object_info, and the handle argument of every
// syscall that takes one: bad values (0, forged, bit 63 set, a live slot's
// index with another generation), stale (closed), revoked (observer of an
// exited process), wrong object type, missing rights. Rights never grow; a
// full handle table refuses cleanly and changes nothing; a kept value never
// revives, however often its slot is reused.
#include <libk/handle_value.h>

#include "common.h"

using keel::syscall6;
using utest::expect;

namespace {

constexpr uint32_t CHANNEL_RIGHTS = KEEL_RIGHT_READ | KEEL_RIGHT_WRITE | KEEL_RIGHT_DUPLICATE |
                                    KEEL_RIGHT_TRANSFER | KEEL_RIGHT_INSPECT;
constexpr uint32_t PROCESS_RIGHTS = KEEL_RIGHT_KILL | KEEL_RIGHT_WAIT | KEEL_RIGHT_INSPECT |
                                    KEEL_RIGHT_DUPLICATE | KEEL_RIGHT_TRANSFER;

keel_handle_t dup(keel_handle_t h, uint64_t rights) {
  keel_handle_t out = KEEL_HANDLE_INVALID;
  int64_t r = syscall6(SYS_HANDLE_DUPLICATE, h, rights, keel::u(&out));
  if (r != KEEL_OK) tap::diag("duplicate(%#lx, %#lx): %s", h, rights, keel_status_name(int32_t(r)));
  return out;
}

// --- every syscall that takes a handle, with otherwise valid arguments ---

enum class Kind { Any, Channel, Process, Directory };

// Handles of each type that the operations below may use for their other
// arguments, and as the live handle a bad value is derived from.
struct Fixture {
  keel_handle_t channel, peer;  // a channel pair
  keel_handle_t process;        // a sleeping child
} fx;

struct Op {
  const char* name;
  Kind kind;
  int64_t (*call)(uint64_t h);
};

keel_handle_t out_handle;
keel_object_info out_info;
int64_t out_code;
uint64_t out_pids[8];
size_t out_actual;

int64_t op_close(uint64_t h) { return syscall6(SYS_HANDLE_CLOSE, h); }
int64_t op_duplicate(uint64_t h) {
  return syscall6(SYS_HANDLE_DUPLICATE, h, KEEL_RIGHTS_SAME, keel::u(&out_handle));
}
int64_t op_info(uint64_t h) { return syscall6(SYS_OBJECT_INFO, h, keel::u(&out_info)); }
int64_t op_write(uint64_t h) { return syscall6(SYS_CHANNEL_WRITE, h, keel::u("x"), 1, 0, 0); }
int64_t op_read(uint64_t h) {
  char buf[8];
  keel_channel_read_args a{};
  a.bytes = buf;
  a.bytes_cap = sizeof(buf);
  return syscall6(SYS_CHANNEL_READ, h, keel::u(&a));
}
int64_t op_call(uint64_t h) {
  char buf[8];
  keel_channel_call_args a{};
  a.wr_bytes = "x";
  a.wr_num_bytes = 1;
  a.rd_bytes = buf;
  a.rd_bytes_cap = sizeof(buf);
  a.timeout_ms = 10;
  return syscall6(SYS_CHANNEL_CALL, h, keel::u(&a));
}
int64_t op_kill(uint64_t h) { return syscall6(SYS_PROCESS_KILL, h); }
int64_t op_wait(uint64_t h) { return syscall6(SYS_PROCESS_WAIT, h, keel::u(&out_code), 0); }
int64_t op_list(uint64_t h) {
  return syscall6(SYS_PROCESS_LIST, h, keel::u(out_pids), 8, keel::u(&out_actual));
}
int64_t op_open(uint64_t h) {
  return syscall6(SYS_PROCESS_OPEN, h, utest::self_pid(), keel::u(&out_handle));
}
// Status 1: if this ever powered off, the run would fail.
int64_t op_poweroff(uint64_t h) { return syscall6(SYS_POWEROFF, h, 1); }
int64_t op_send(uint64_t h) {
  auto v = static_cast<keel_handle_t>(h);
  return keel::channel_write(fx.peer, "h", 1, &v, 1);
}
int64_t op_spawn(uint64_t h) {
  auto v = static_cast<keel_handle_t>(h);
  keel_handle_t p = KEEL_HANDLE_INVALID;
  int64_t r = keel::spawn("exitcode", nullptr, 0, &v, 1, &p);
  if (r == KEEL_OK) utest::reap(p);
  return r;
}

const Op ops[] = {
    {"handle_close", Kind::Any, op_close},
    {"handle_duplicate", Kind::Any, op_duplicate},
    {"object_info", Kind::Any, op_info},
    {"channel_write", Kind::Channel, op_write},
    {"channel_read", Kind::Channel, op_read},
    {"channel_call", Kind::Channel, op_call},
    {"process_kill", Kind::Process, op_kill},
    {"process_wait", Kind::Process, op_wait},
    {"process_list", Kind::Directory, op_list},
    {"process_open", Kind::Directory, op_open},
    {"poweroff", Kind::Directory, op_poweroff},
    {"channel_write carrying it", Kind::Any, op_send},
    {"process_spawn passing it", Kind::Any, op_spawn},
};

keel_handle_t valid_of(Kind k) {
  switch (k) {
    case Kind::Process:
      return fx.process;
    case Kind::Directory:
      return utest::dir();
    default:
      return fx.channel;
  }
}

void setup_fixture() {
  keel::channel_create(&fx.channel, &fx.peer);
  fx.process = utest::start("sleeper", "100000");
}

void teardown_fixture() {
  keel::handle_close(fx.channel);
  keel::handle_close(fx.peer);
  utest::reap(fx.process);
}

// Run every operation with `value` and expect `want`.
void every_op(const char* what, uint64_t value, int64_t want) {
  for (const Op& op : ops) expect(op.call(value), want, "%s: %s", op.name, what);
}

// --- scenarios ---

void close_and_generations(const keel::KstatSnapshot& base) {
  keel_handle_t a, b, c, d;
  keel::channel_create(&a, &b);
  expect(keel::handle_close(a), KEEL_OK, "close a channel handle");
  expect(keel::handle_close(a), ERR_BAD_HANDLE, "close it again");
  keel::channel_create(&c, &d);  // reuses the freed slot with a new generation
  tap::ok(c != a && d != a, "a reused slot gives a new value (%#lx, %#lx; old %#lx)", c, d, a);
  expect(keel::object_info(a, &out_info), ERR_BAD_HANDLE, "the old value stays dead");
  expect(keel::object_info(c, &out_info), KEEL_OK, "the new value works");
  keel::handle_close(b);
  keel::handle_close(c);
  keel::handle_close(d);
  tap::at_baseline(base, "close and generations");
}

void duplicate_and_rights(const keel::KstatSnapshot& base) {
  keel_handle_t a, b;
  keel::channel_create(&a, &b);
  keel_object_info ia = utest::info_of(a);
  tap::ok(ia.rights == CHANNEL_RIGHTS,
          "a new channel handle has read/write/duplicate/transfer/inspect");

  keel_handle_t same = dup(a, KEEL_RIGHTS_SAME);
  keel_object_info is = utest::info_of(same);
  tap::ok(same != a && is.rights == ia.rights && is.koid == ia.koid,
          "KEEL_RIGHTS_SAME: a new value, same object, same rights");

  uint32_t fewer = KEEL_RIGHT_READ | KEEL_RIGHT_INSPECT | KEEL_RIGHT_DUPLICATE;
  keel_handle_t less = dup(a, fewer);
  tap::ok(utest::info_of(less).rights == fewer, "duplicate with a subset has exactly that subset");
  expect(keel::handle_duplicate(less, KEEL_RIGHT_READ | KEEL_RIGHT_WRITE, &out_handle),
         ERR_ACCESS_DENIED, "duplicate adding WRITE");
  expect(keel::handle_duplicate(less, CHANNEL_RIGHTS, &out_handle), ERR_ACCESS_DENIED,
         "duplicate back to all channel rights");
  keel_handle_t again = dup(less, KEEL_RIGHTS_SAME);
  tap::ok(utest::info_of(again).rights == fewer, "KEEL_RIGHTS_SAME of the subset keeps the subset");

  keel_handle_t none = dup(a, 0);
  expect(keel::object_info(none, &out_info), ERR_ACCESS_DENIED, "object_info with no rights");
  expect(keel::channel_write(none, "x", 1), ERR_ACCESS_DENIED, "channel_write with no rights");

  expect(keel::handle_duplicate(a, KEEL_RIGHTS_ALL + 1, &out_handle), ERR_INVALID_ARGS,
         "duplicate with an unknown right");
  expect(keel::handle_duplicate(a, KEEL_RIGHTS_SAME | KEEL_RIGHT_READ, &out_handle),
         ERR_INVALID_ARGS, "KEEL_RIGHTS_SAME mixed with a right");
  expect(syscall6(SYS_HANDLE_DUPLICATE, a, (1ull << 32) | KEEL_RIGHT_READ, keel::u(&out_handle)),
         ERR_INVALID_ARGS, "duplicate with rights wider than 32 bits");

  int64_t handles = utest::counter("handles_live");
  utest::each_bad_pointer("duplicate into", true, [&](uintptr_t p) {
    return syscall6(SYS_HANDLE_DUPLICATE, a, KEEL_RIGHTS_SAME, p);
  });
  tap::ok(utest::counter("handles_live") == handles, "a bad out pointer made no handle");

  for (keel_handle_t h : {a, b, same, less, again, none}) keel::handle_close(h);
  tap::at_baseline(base, "duplicate and rights");
}

void object_info_fields(const keel::KstatSnapshot& base) {
  keel_handle_t a, b;
  keel::channel_create(&a, &b);
  keel_object_info ia = utest::info_of(a), ib = utest::info_of(b);
  tap::ok(ia.type == KEEL_OBJ_CHANNEL && ia.state == KEEL_STATE_OPEN && ia.koid != 0,
          "channel: type, state open, a koid");
  tap::ok(ia.related_koid == ib.koid && ib.related_koid == ia.koid && ia.koid != ib.koid,
          "channel: each end names the other as related");
  keel::handle_close(b);
  ia = utest::info_of(a);
  tap::ok(ia.state == KEEL_STATE_PEER_CLOSED && ia.related_koid == 0,
          "channel whose peer closed: state peer-closed, no related koid");
  keel_object_info id = utest::info_of(utest::dir());
  tap::ok(id.type == KEEL_OBJ_PROCESS_DIRECTORY && id.rights == KEEL_RIGHTS_ALL,
          "process directory: type and all rights");
  utest::each_bad_pointer("object_info into", true,
                          [&](uintptr_t p) { return syscall6(SYS_OBJECT_INFO, a, p); });
  keel::handle_close(a);
  tap::at_baseline(base, "object_info");
}

// Values that name no handle: every syscall says ERR_BAD_HANDLE and does nothing.
void bad_values(const keel::KstatSnapshot& base) {
  setup_fixture();
  keel::KstatSnapshot before;
  tap::baseline(before);
  every_op("handle 0", 0, ERR_BAD_HANDLE);
  every_op("a forged handle", 0x05a5a5a5, ERR_BAD_HANDLE);
  every_op("a forged 64-bit handle", 0x5a5a5a5a5a5a5a5aull, ERR_BAD_HANDLE);
  // Derived from a valid handle of the right type: bit 63 set (no value has
  // it), or the same slot with another generation (bit 32 lies in the
  // generation): neither may be taken for that handle.
  for (const Op& op : ops) {
    uint64_t v = valid_of(op.kind);
    expect(op.call(v | (1ull << 63)), ERR_BAD_HANDLE, "%s: a valid handle with bit 63 set",
           op.name);
    expect(op.call(v ^ (1ull << 32)), ERR_BAD_HANDLE,
           "%s: a valid handle's slot with another generation", op.name);
  }
  keel_handle_t a, b;
  keel::channel_create(&a, &b);
  keel::handle_close(a);
  keel::handle_close(b);
  every_op("a stale (closed) handle", a, ERR_BAD_HANDLE);
  tap::at_baseline(before, "bad handle values changed nothing");
  tap::ok(keel::object_info(fx.channel, &out_info) == KEEL_OK &&
              keel::object_info(fx.process, &out_info) == KEEL_OK &&
              keel::object_info(utest::dir(), &out_info) == KEEL_OK,
          "the valid handles behind the derived values are still there");
  teardown_fixture();
  tap::at_baseline(base, "bad handle values");
}

// An observer of a process that has exited: every use says ERR_REVOKED
// (not ERR_BAD_HANDLE), and closing it works.
void revoked(const keel::KstatSnapshot& base) {
  setup_fixture();
  keel_handle_t obs = utest::revoked_observer();
  for (const Op& op : ops) {
    if (op.call == op_close) continue;
    expect(op.call(obs), ERR_REVOKED, "%s: a revoked observer", op.name);
  }
  expect(keel::handle_close(obs), KEEL_OK, "close the revoked observer");
  expect(keel::handle_close(obs), ERR_BAD_HANDLE, "close it again");
  teardown_fixture();
  tap::at_baseline(base, "revoked observer");
}

// A live handle of the wrong type: ERR_WRONG_TYPE, nothing done.
void wrong_type(const keel::KstatSnapshot& base) {
  setup_fixture();
  struct Case {
    Kind have;
    const char* what;
  } cases[] = {{Kind::Channel, "a channel"},
               {Kind::Process, "a process"},
               {Kind::Directory, "the process directory"}};
  for (const Case& c : cases)
    for (const Op& op : ops)
      if (op.kind != Kind::Any && op.kind != c.have)
        expect(op.call(valid_of(c.have)), ERR_WRONG_TYPE, "%s on %s", op.name, c.what);
  expect(keel::process_wait(fx.process, &out_code, 0), ERR_SHOULD_WAIT, "the child still runs");
  teardown_fixture();
  tap::at_baseline(base, "wrong type");
}

// Each right, removed by a duplicate: the operation it guards is denied.
void missing_rights(const keel::KstatSnapshot& base) {
  setup_fixture();
  auto without = [](keel_handle_t h, uint32_t all, uint32_t right) { return dup(h, all & ~right); };
  keel_handle_t ch = fx.channel, p = fx.process, d = utest::dir();
  keel_handle_t made[16];
  int n = 0;
  keel::channel_write(fx.peer, "q", 1);  // something to read, that must stay queued

  made[n] = without(ch, CHANNEL_RIGHTS, KEEL_RIGHT_READ);
  expect(op_read(made[n++]), ERR_ACCESS_DENIED, "channel_read without READ");
  made[n] = without(ch, CHANNEL_RIGHTS, KEEL_RIGHT_WRITE);
  expect(op_write(made[n++]), ERR_ACCESS_DENIED, "channel_write without WRITE");
  made[n] = without(ch, CHANNEL_RIGHTS, KEEL_RIGHT_READ);
  expect(op_call(made[n++]), ERR_ACCESS_DENIED, "channel_call without READ");
  made[n] = without(ch, CHANNEL_RIGHTS, KEEL_RIGHT_WRITE);
  expect(op_call(made[n++]), ERR_ACCESS_DENIED, "channel_call without WRITE");
  made[n] = without(ch, CHANNEL_RIGHTS, KEEL_RIGHT_DUPLICATE);
  expect(op_duplicate(made[n++]), ERR_ACCESS_DENIED, "handle_duplicate without DUPLICATE");
  made[n] = without(ch, CHANNEL_RIGHTS, KEEL_RIGHT_INSPECT);
  expect(op_info(made[n++]), ERR_ACCESS_DENIED, "object_info without INSPECT");
  made[n] = without(ch, CHANNEL_RIGHTS, KEEL_RIGHT_TRANSFER);
  expect(op_send(made[n]), ERR_ACCESS_DENIED, "channel_write carrying a handle without TRANSFER");
  expect(op_spawn(made[n++]), ERR_ACCESS_DENIED, "process_spawn passing a handle without TRANSFER");
  made[n] = without(p, PROCESS_RIGHTS, KEEL_RIGHT_KILL);
  expect(op_kill(made[n++]), ERR_ACCESS_DENIED, "process_kill without KILL");
  made[n] = without(p, PROCESS_RIGHTS, KEEL_RIGHT_WAIT);
  expect(op_wait(made[n++]), ERR_ACCESS_DENIED, "process_wait without WAIT");
  made[n] = without(d, KEEL_RIGHTS_ALL, KEEL_RIGHT_ENUMERATE);
  expect(op_list(made[n]), ERR_ACCESS_DENIED, "process_list without ENUMERATE");
  expect(op_open(made[n++]), ERR_ACCESS_DENIED, "process_open without ENUMERATE");
  made[n] = without(d, KEEL_RIGHTS_ALL, KEEL_RIGHT_POWER);
  expect(op_poweroff(made[n++]), ERR_ACCESS_DENIED, "poweroff without POWER");

  expect(keel::process_wait(p, &out_code, 0), ERR_SHOULD_WAIT, "the child was not killed");
  char buf[4];
  size_t got = 0;
  int64_t r = keel::read_message(ch, buf, sizeof(buf), &got, nullptr, 0, nullptr, 0);
  tap::ok(r == KEEL_OK && got == 1 && buf[0] == 'q', "the queued message was not read");
  expect(keel::read_message(fx.peer, buf, sizeof(buf), &got, nullptr, 0, nullptr, 0),
         ERR_SHOULD_WAIT, "nothing was written");
  for (int i = 0; i < n; i++) keel::handle_close(made[i]);
  teardown_fixture();
  tap::at_baseline(base, "missing rights");
}

// --- a full handle table ---

keel_handle_t filler[KEEL_MAX_HANDLES_PER_PROCESS];

// Duplicate `h` until the table refuses; how many were made, and the refusal.
size_t fill_table(keel_handle_t h, int64_t* refusal) {
  size_t n = 0;
  for (;;) {
    int64_t r = keel::handle_duplicate(h, KEEL_RIGHTS_SAME, &filler[n]);
    if (r != KEEL_OK) {
      *refusal = r;
      return n;
    }
    if (++n == KEEL_MAX_HANDLES_PER_PROCESS) {
      *refusal = KEEL_OK;
      return n;
    }
  }
}

void empty_table(size_t n) {
  for (size_t i = 0; i < n; i++) keel::handle_close(filler[i]);
}

void full_table(const keel::KstatSnapshot& base) {
  keel_handle_t a, b, x, y, self;
  keel::channel_create(&a, &b);
  keel::process_open(utest::dir(), utest::self_pid(), &self);
  int64_t refusal;
  keel::channel_create(&x, &y);
  keel::channel_write(b, "h", 1, &x, 1);  // a message carrying a handle, for a
  keel::channel_write(b, "b", 1);         // and one carrying none
  size_t n = fill_table(a, &refusal);
  expect(refusal, ERR_NO_MEMORY, "duplicate into a full table");
  keel_object_info si = utest::info_of(self);
  tap::ok(si.handles == KEEL_MAX_HANDLES_PER_PROCESS,
          "the table holds %lu handles (%zu duplicates)", si.handles, n);

  keel::KstatSnapshot full;
  tap::baseline(full);
  keel_handle_t c, d, p;
  expect(keel::channel_create(&c, &d), ERR_NO_MEMORY, "channel_create with a full table");
  expect(keel::process_open(utest::dir(), utest::self_pid(), &out_handle), ERR_NO_MEMORY,
         "process_open with a full table");
  expect(keel::spawn("exitcode", nullptr, 0, nullptr, 0, &p), ERR_NO_MEMORY,
         "process_spawn with a full table");
  keel_handle_t got_h[KEEL_CHANNEL_MAX_HANDLES];
  char buf[4];
  size_t nb = 0, nh = 0;
  expect(keel::read_message(a, buf, sizeof(buf), &nb, got_h, KEEL_CHANNEL_MAX_HANDLES, &nh, 0),
         ERR_NO_MEMORY, "reading a message with a handle into a full table");
  tap::ok(nb == 1 && nh == 1, "the read reports the message's size (%zu bytes, %zu handles)", nb,
          nh);
  tap::at_baseline(full, "a full table refused everything and changed nothing");

  keel::handle_close(filler[--n]);  // one free slot
  expect(keel::channel_create(&c, &d), ERR_NO_MEMORY, "channel_create with one free slot");
  int64_t channels = 0;
  keel::kstat_value(full, "channels_live", &channels);
  tap::ok(utest::counter("channels_live") == channels, "no channel was made");
  int64_t r = keel::read_message(a, buf, sizeof(buf), &nb, got_h, KEEL_CHANNEL_MAX_HANDLES, &nh, 0);
  tap::ok(r == KEEL_OK && nb == 1 && buf[0] == 'h' && nh == 1,
          "the message with a handle is still first and fits in the free slot");
  r = keel::read_message(a, buf, sizeof(buf), &nb, got_h + 1, KEEL_CHANNEL_MAX_HANDLES, &nh, 0);
  tap::ok(r == KEEL_OK && nb == 1 && buf[0] == 'b' && nh == 0,
          "a message carrying no handle can be read from a full table (%s)",
          keel_status_name(int32_t(r)));

  empty_table(n);
  for (keel_handle_t h : {got_h[0], y, a, b, self}) keel::handle_close(h);
  tap::at_baseline(base, "full handle table");
}

// A value a program kept must never name anything again, however often its
// slot is reused. Duplicate a handle (the kept value), then repeat {close the
// slot's handle; channel_create; close the second end}: the first end takes
// the same slot each time (the lowest free slot is reused first), so the
// slot's generation moves by one per cycle. The old 18-bit generation
// wrapped after 262,143 closes and handed the kept value out again; this
// cycles one slot past that point.
void no_revival(const keel::KstatSnapshot& base) {
  constexpr uint32_t OLD_WRAP = (1u << 18) - 1;  // the old generation's period
  constexpr uint32_t CYCLES = OLD_WRAP + 16;
  constexpr uint64_t SLOT_MASK = (1u << libk::kHandleIndexBits) - 1;
  keel_handle_t a, b;
  keel::channel_create(&a, &b);
  keel_handle_t kept = dup(a, KEEL_RIGHTS_SAME);
  keel_handle_t cur = kept;
  uint32_t cycles = 0, same_slot = 0, repeated = 0, answered = 0;
  int64_t first_answer = ERR_BAD_HANDLE;
  while (cycles < CYCLES) {
    if (keel::handle_close(cur) != KEEL_OK) break;
    keel_handle_t x = KEEL_HANDLE_INVALID, y = KEEL_HANDLE_INVALID;
    if (keel::channel_create(&x, &y) != KEEL_OK) break;
    keel::handle_close(y);
    cur = x;
    cycles++;
    if ((x & SLOT_MASK) == (kept & SLOT_MASK)) same_slot++;
    if (x == kept) repeated++;
    int64_t r = keel::object_info(kept, &out_info);
    if (r != ERR_BAD_HANDLE && answered++ == 0) {
      first_answer = r;
      tap::diag("cycle %u: the kept value answers %s (type %u, koid %lu)", cycles,
                keel_status_name(int32_t(r)), out_info.type, out_info.koid);
    }
  }
  tap::ok(cycles == CYCLES && same_slot == CYCLES,
          "%u of %u cycles ran, each reusing the kept value's slot", same_slot, CYCLES);
  tap::ok(repeated == 0, "the slot never gave out the kept value again (%u times)", repeated);
  tap::ok(answered == 0,
          "after every cycle the kept value answers ERR_BAD_HANDLE (%u did not; first %s)",
          answered, keel_status_name(int32_t(first_answer)));
  expect(keel::object_info(kept, &out_info), ERR_BAD_HANDLE,
         "object_info on the kept value past the old wrap point");
  keel::handle_close(cur);
  for (keel_handle_t h : {a, b}) keel::handle_close(h);
  tap::at_baseline(base, "a kept value never revives");
}

}  // namespace

int main(int, char**) {
  tap::plan(183);
  utest::scratch();                                        // warm up: the scratch page
  utest::self_pid();                                       // and the pid lookup
  utest::grow_handle_table(KEEL_MAX_HANDLES_PER_PROCESS);  // and the whole handle table
  keel::KstatSnapshot base;
  tap::baseline(base);

  close_and_generations(base);
  duplicate_and_rights(base);
  object_info_fields(base);
  bad_values(base);
  revoked(base);
  wrong_type(base);
  missing_rights(base);
  full_table(base);
  no_revival(base);
  return tap::done();
}
