// fuzz: a seeded syscall fuzzer. One binary, three roles (argv[1]):
//
//   fuzz run CALLS SEED WORKERS [KADDR...]   the parent; runs as init
//   fuzz w ID CALLS SEED [KADDR...]          a worker (spawned by the parent)
//   fuzz v MODE PARAM [SEED] [junk...]       a victim (spawned by workers); MODE z
//                                            is a sub-worker: it fuzzes too until
//                                            its budget ends or it is killed
//
// The parent starts procfs, then WORKERS workers, and waits for them. Each
// worker makes CALLS/WORKERS syscalls chosen by a PRNG seeded from SEED and
// its id: random and semi-valid arguments (handles from its own table,
// stale, closed, revoked and forged ones; pointers at every edge of its
// mappings, read-only, unaligned, into the kernel half, at the top of user
// space; zero, odd and huge lengths), message payloads shaped like kernel
// allocator metadata (old slab magic, the real addresses of kernel caches
// passed as KADDR, direct-map and list pointers) in every size class, handle
// transfers on its own channels and on a ring of channels shared with the
// other workers, channel_call, spawns with random argv and handles, kills
// of children running, blocked, sleeping, exited and already reaped (and
// of sub-workers, with whatever they hold at that moment),
// vm_alloc/vm_free churn, and procfs requests made of random bytes. A worker
// ends by killing and reaping every child it still holds, closing every
// handle and freeing every allocation, and exits with its call count.
//
// Workers get only what they may break: a duplicate of the procfs client
// endpoint, the process directory without POWER, KILL or AUDIT (list and
// observe only), and two ring endpoints. Nothing they hold can stop the
// system or touch the parent or procfs. Victims end on their own within a
// bounded time even if every handle to them is lost, so nothing a worker
// drops outlives the run. The parent then waits until only it and procfs are
// left, stops procfs and exits: the kernel compares every kstat counter with
// its boot baseline and runs the orphan audit (scripts/fuzz reads both).
#include <libk/format.h>
#include <libk/handle_value.h>
#include <libk/string.h>

#include "keel.h"

namespace {
using keel::syscall6;
using keel::u;

// ---------------------------------------------------------------- basics

struct Rng {  // xorshift64*: small, fast, good enough to pick arguments
  uint64_t s = 1;
  void seed(uint64_t v) {
    s = v * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
    if (!s) s = 1;
    for (int i = 0; i < 4; i++) next();
  }
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545f4914f6cdd1dull;
  }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
  bool chance(uint32_t percent) { return below(100) < percent; }
  template <typename T, size_t N>
  T pick(const T (&a)[N]) {
    return a[below(N)];
  }
};

Rng rng;
uint64_t calls;  // syscalls this process made
bool procfs_probe_ok;
bool sub;  // this process is a sub-worker (a victim that fuzzes): it starts none
uint64_t subworkers_started, children_started;

bool str_eq_fuzzer(const char* a, const char* b) { return strcmp(a, b) == 0; }

// A function whose address is a pointer into the text segment (R+X).
[[gnu::noinline]] void rng_pick_code() { asm volatile(""); }

// The echo round trips (act_ipc) check that each reply is exactly what was
// sent, which holds only while their channel carries nothing else. A forged
// or random handle value can equal it: any other call that names it (in an
// argument register) taints it, and the rounds then start over with a new
// echo server instead of checking replies that may be another call's.
keel_handle_t echo_client, echo_server;
uint64_t echo_taints;
bool echo_tainted;
inline void note_handle_use(uint64_t v) {
  if (v == echo_client && v != KEEL_HANDLE_INVALID && !echo_tainted) {
    echo_tainted = true;
    echo_taints++;
  }
}

inline int64_t sc(uint64_t n, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0,
                  uint64_t a4 = 0, uint64_t a5 = 0) {
  calls++;
  const uint64_t args[] = {a0, a1, a2, a3, a4, a5};
  for (uint64_t v : args) note_handle_use(v);
  return syscall6(n, a0, a1, a2, a3, a4, a5);
}

uint64_t parse_u(const char* s) {
  uint64_t v = 0;
  while (*s >= '0' && *s <= '9') v = v * 10 + static_cast<uint64_t>(*s++ - '0');
  return v;
}

uint64_t parse_hex(const char* s) {
  uint64_t v = 0;
  for (; *s; s++) {
    char c = *s;
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return 0;
    v = v * 16 + static_cast<uint64_t>(d);
  }
  return v;
}

// Kernel addresses to aim at: the build's real caches (from argv), and
// plausible ones in every part of the kernel half.
constexpr uint64_t DIRECT_MAP = 0xffffffc000000000ull;
constexpr uint64_t RAM_IN_DIRECT_MAP = DIRECT_MAP + 0x80000000ull;
constexpr uint64_t KSTACKS = 0xffffffd000000000ull;
constexpr uint64_t KIMAGE = 0xffffffff80200000ull;
constexpr uint64_t USER_TOP = 0x0000004000000000ull;
constexpr uint64_t OLD_SLAB_MAGIC = 0x51ab51abull;
constexpr size_t MAX_KADDRS = 24;  // a worker's argv has room for this many
uint64_t kaddrs[MAX_KADDRS];
size_t nkaddrs;
char kaddr_text[MAX_KADDRS][20];  // as given, to pass on to workers

uint64_t kernel_address() {
  switch (rng.below(6)) {
    case 0:
    case 1:
      if (nkaddrs) return kaddrs[rng.below(nkaddrs)] + 8 * rng.below(8);
      [[fallthrough]];
    case 2:
      return RAM_IN_DIRECT_MAP + (rng.below(256ull << 20) & ~7ull);
    case 3:
      return KSTACKS + rng.below(1ull << 24);
    case 4:
      return KIMAGE + (rng.below(4ull << 20) & ~7ull);
    default:
      return DIRECT_MAP + rng.below(1ull << 36);
  }
}

// ---------------------------------------------------------------- memory

// Scratch the kernel may read and write when a pointer lands there. It is
// never used for the worker's own state, so anything written there is fine.
constexpr size_t DATA_SIZE = 3 * 4096;
uint8_t* data;  // RW, vm_alloc'd
uint8_t* ro;    // R only, one page
// The worker's own argument blocks and buffers (in .bss). Pointers the
// fuzzer chooses never point here, so the kernel writes here only when told to.
keel_channel_read_args rd_args;
keel_channel_call_args call_args;
keel_spawn_args spawn_args;
keel_handle_t hbuf_out[KEEL_CHANNEL_MAX_HANDLES + 4];
keel_handle_t hbuf_in[KEEL_CHANNEL_MAX_HANDLES + 4];
uint8_t payload[KEEL_CHANNEL_MAX_BYTES + 64];
uint8_t inbox[KEEL_CHANNEL_MAX_BYTES + 64];
char spawn_block[KEEL_SPAWN_MAX_ARGS_BYTES + 64];
uint64_t out_u64[4];
keel_handle_t out_h[4];
keel_object_info info_out;

const size_t SIZES[] = {0,   1,   7,    8,    15,   63,   64,   100,  127,  128,  129,  255, 256,
                        511, 512, 1000, 1023, 1024, 2047, 2048, 2049, 3000, 4000, 4095, 4096};

size_t length() {
  switch (rng.below(10)) {
    case 0:
      return 0;
    case 1:
      return 1 + rng.below(16);
    case 2:
      return KEEL_CHANNEL_MAX_BYTES + rng.below(3);
    case 3: {
      const size_t huge[] = {1ull << 32, (1ull << 32) + 8, 1ull << 63, ~0ull,
                             ~0ull - 7,  1ull << 40,       USER_TOP,   0x7fffffffull};
      return rng.pick(huge);
    }
    case 4:
    case 5:
      return rng.pick(SIZES);
    default:
      return rng.below(4097);
  }
}

// A pointer for a buffer of `len` bytes: valid most of the time, else at or
// across an edge of some mapping, unaligned, read-only, code, kernel, wild.
uint64_t pointer(size_t len) {
  uint64_t d = u(data), end = d + DATA_SIZE;
  size_t fit = len < DATA_SIZE ? DATA_SIZE - len : 0;
  switch (rng.below(20)) {
    case 0:
      return 0;
    case 1:
      return 8 * rng.below(0x2000);  // the null guard pages
    case 2:
      return end - 1 - rng.below(16);  // across the end of data
    case 3:
      return end - (len & 0xfff) + rng.below(9);  // ends just at/after the edge
    case 4:
      return d - 1 - rng.below(64);  // starts below data
    case 5:
      return u(ro) + rng.below(4096);  // read-only
    case 6:
      return u(ro) + 4096 - 1 - rng.below(64);  // across the end of ro
    case 7:
      return reinterpret_cast<uint64_t>(&rng_pick_code);  // code (R+X)
    case 8:
      return kernel_address();
    case 9:
      return USER_TOP - 1 - rng.below(64);  // across into the kernel half
    case 10:
      return USER_TOP + 8 * rng.below(64);
    case 11:
      return ~0ull - rng.below(4096);  // wraps
    case 12:
      return 0x3000000000ull + 8 * rng.below(4096);  // unmapped user space
    case 13:
      return d + rng.below(fit + 1) + 1 + rng.below(7);  // unaligned inside
    default:
      return d + (rng.below(fit + 1) & ~7ull);  // valid, aligned
  }
}

// Did a call that succeeded write a handle value at p (inside the scratch
// area)? Then it is ours: take it back, so handles do not pile up unseen.
bool in_data(uint64_t p, size_t size) {
  return p >= u(data) && p <= u(data) + DATA_SIZE - size && p % alignof(keel_handle_t) == 0;
}
keel_handle_t handle_at(uint64_t p) {
  keel_handle_t h;
  memcpy(&h, reinterpret_cast<void*>(p), sizeof(h));
  return h;
}

// A pointer to an argument block of `size` bytes that is usually not the
// real one: wild, at an edge, or garbage inside the scratch area. Garbage the
// kernel could read as a block gets a short timeout at `timeout_at`, so a
// worker never waits for ever on a channel nobody writes to.
uint64_t bad_block(size_t size, size_t timeout_at) {
  uint64_t p = pointer(size);
  uint64_t d = u(data);
  if (p >= d && p <= d + DATA_SIZE - size) {  // (p + size may wrap)
    for (size_t k = 0; k + 8 <= size; k += 8) {
      uint64_t w = rng.chance(50) ? rng.next() : pointer(64);
      memcpy(reinterpret_cast<void*>(p + k), &w, 8);
    }
    uint64_t t = rng.chance(90) ? 0 : 1 + rng.below(2);
    memcpy(reinterpret_cast<void*>(p + timeout_at), &t, 8);
  }
  return p;
}

// Fill the payload buffer with something shaped like kernel memory.
void shape_payload(size_t n) {
  uint64_t w[KEEL_CHANNEL_MAX_BYTES / 8 + 8];
  size_t words = (n + 7) / 8;
  uint64_t k = kernel_address();
  switch (rng.below(7)) {
    case 0:  // old slab headers repeating: magic, cache, list pointers
      for (size_t i = 0; i < words; i++) {
        switch (i % 6) {
          case 0:
            w[i] = OLD_SLAB_MAGIC | (rng.below(2) << 32);
            break;
          case 1:
            w[i] = k;
            break;
          case 2:
            w[i] = k + 16;
            break;
          case 3:
            w[i] = k + 32;
            break;
          case 4:
            w[i] = k;
            break;
          default:
            w[i] = rng.chance(50) ? 0 : ~0ull;
        }
      }
      break;
    case 1:  // every word a kernel address
      for (size_t i = 0; i < words; i++) w[i] = kernel_address();
      break;
    case 2:  // self-linked list nodes in the direct map
      for (size_t i = 0; i < words; i++) w[i] = k + 8 * (i ^ 1);
      break;
    case 3:  // magic everywhere
      for (size_t i = 0; i < words; i++) w[i] = OLD_SLAB_MAGIC | (OLD_SLAB_MAGIC << 32);
      break;
    case 4:  // handle-value-looking words
      for (size_t i = 0; i < words; i++)
        w[i] = libk::handle_encode(static_cast<uint32_t>(rng.below(64)),
                                   static_cast<uint32_t>(1 + rng.below(8)));
      break;
    case 5:
      memset(w, 0x41, words * 8);
      break;
    default:
      for (size_t i = 0; i < words; i++) w[i] = rng.next();
  }
  memcpy(payload, w, n);
}

// ---------------------------------------------------------------- handles

enum Kind : uint8_t { CHAN, PROC, OBS, DIR, SERVICE, JOB, UNKNOWN };
struct Held {
  keel_handle_t h;
  Kind kind;
};
constexpr size_t MAX_HELD = 64;
Held held[MAX_HELD];
size_t nheld;
keel_handle_t stale[32];  // closed, moved, reaped and revoked values
size_t nstale;
// The handles a worker starts with; used, duplicated, never given away.
keel_handle_t service, directory, ring[2];

void add_stale(keel_handle_t h) { stale[nstale++ % 32] = h; }

bool hold(keel_handle_t h, Kind k) {
  if (nheld == MAX_HELD) {  // full: close one to make room
    size_t i = rng.below(MAX_HELD);
    if (held[i].kind == PROC) sc(SYS_PROCESS_KILL, held[i].h);
    sc(SYS_HANDLE_CLOSE, held[i].h);
    add_stale(held[i].h);
    held[i] = held[--nheld];
  }
  held[nheld++] = {h, k};
  return true;
}

void forget(keel_handle_t h) {
  for (size_t i = 0; i < nheld; i++)
    if (held[i].h == h) {
      held[i] = held[--nheld];
      add_stale(h);
      return;
    }
}

int find_kind(Kind k) {
  size_t start = rng.below(nheld + 1);
  for (size_t j = 0; j < nheld; j++) {
    size_t i = (start + j) % nheld;
    if (held[i].kind == k) return static_cast<int>(i);
  }
  return -1;
}

// A handle value: mostly one this process holds, else stale or forged.
uint64_t handle(Kind want) {
  switch (rng.below(16)) {
    case 0:
      return nstale ? stale[rng.below(nstale < 32 ? nstale : 32)] : 0;
    case 1:
      return libk::handle_encode(static_cast<uint32_t>(rng.below(128)),
                                 static_cast<uint32_t>(rng.below(16)));
    case 2:
      return rng.next() & 0xffffffffu;
    case 3: {
      const uint64_t odd[] = {0,     0xffffffffu, 0x80000000u, 1ull << 32 | 1,
                              ~0ull, 1,           0x1fff,      0x2000};
      return rng.pick(odd);
    }
    case 4:
      return service;
    case 5:
      return directory;
    case 6:
      return ring[rng.below(2)];
    case 7:
      return nheld ? held[rng.below(nheld)].h : 0;
    default: {
      int i = find_kind(want);
      if (i >= 0) return held[i].h;
      return nheld ? held[rng.below(nheld)].h : service;
    }
  }
}

bool is_base(keel_handle_t h) {
  return h == service || h == directory || h == ring[0] || h == ring[1];
}

// Up to n handles to move (into a message or a child), from the pool only;
// sometimes duplicated, stale or forged values and repeats.
size_t handles_to_move(keel_handle_t* out, size_t max) {
  size_t n = rng.below(4) == 0 ? 0 : 1 + rng.below(rng.chance(10) ? max : 3);
  if (n > max) n = max;
  for (size_t i = 0; i < n; i++) {
    if (rng.chance(85) && nheld)
      out[i] = held[rng.below(nheld)].h;
    else
      out[i] = static_cast<keel_handle_t>(handle(CHAN));
  }
  if (n >= 2 && rng.chance(5)) out[n - 1] = out[0];                    // the same one twice
  if (rng.chance(5)) n = KEEL_CHANNEL_MAX_HANDLES + 1 + rng.below(4);  // too many
  return n;
}

// After a successful move: the moved values are no longer ours.
void moved(const keel_handle_t* hs, size_t n) {
  for (size_t i = 0; i < n; i++) forget(hs[i]);
}

void ingest(const keel_handle_t* hs, size_t n) {
  for (size_t i = 0; i < n && i < KEEL_CHANNEL_MAX_HANDLES; i++) {
    keel_object_info inf;
    Kind k = UNKNOWN;
    if (sc(SYS_OBJECT_INFO, hs[i], u(&inf)) == KEEL_OK) {
      k = inf.type == KEEL_OBJ_CHANNEL             ? CHAN
          : inf.type == KEEL_OBJ_PROCESS           ? PROC
          : inf.type == KEEL_OBJ_PROCESS_DIRECTORY ? DIR
          : inf.type == KEEL_OBJ_JOB               ? JOB
                                                   : UNKNOWN;
    }
    hold(hs[i], k);
  }
}

// ---------------------------------------------------------------- actions

void act_handles() {
  switch (rng.below(4)) {
    case 0: {  // close: pool, stale, forged, sometimes a base handle's value twice-removed
      uint64_t h = handle(CHAN);
      if (is_base(static_cast<keel_handle_t>(h))) return;
      if (sc(SYS_HANDLE_CLOSE, h) == KEEL_OK) forget(static_cast<keel_handle_t>(h));
      return;
    }
    case 1: {  // duplicate with random rights
      const uint32_t rights[] = {KEEL_RIGHTS_SAME,
                                 0,
                                 KEEL_RIGHTS_ALL,
                                 KEEL_RIGHT_READ,
                                 KEEL_RIGHT_WRITE | KEEL_RIGHT_TRANSFER,
                                 KEEL_RIGHT_INSPECT,
                                 KEEL_RIGHT_KILL | KEEL_RIGHT_WAIT,
                                 0xffffffffu,
                                 1u << 20};
      uint64_t h = handle(static_cast<Kind>(rng.below(5)));
      uint64_t r = rng.chance(80) ? rng.pick(rights) : rng.next();
      bool good = rng.chance(85);
      uint64_t out = good ? u(&out_h[0]) : pointer(4);
      int64_t s = sc(SYS_HANDLE_DUPLICATE, h, r, out);
      if (s == KEEL_OK && !good && in_data(out, 4)) hold(handle_at(out), UNKNOWN);
      if (s == KEEL_OK && good) {
        keel_object_info inf;
        Kind k = UNKNOWN;
        if (sc(SYS_OBJECT_INFO, out_h[0], u(&inf)) == KEEL_OK)
          k = inf.type == KEEL_OBJ_CHANNEL             ? CHAN
              : inf.type == KEEL_OBJ_PROCESS           ? PROC
              : inf.type == KEEL_OBJ_PROCESS_DIRECTORY ? DIR
                                                       : UNKNOWN;
        if (h == service) k = SERVICE;
        hold(out_h[0], k);
      }
      return;
    }
    default: {  // object_info into good and bad buffers
      uint64_t h = handle(static_cast<Kind>(rng.below(6)));
      sc(SYS_OBJECT_INFO, h, rng.chance(60) ? u(&info_out) : pointer(sizeof(keel_object_info)));
      return;
    }
  }
}

void act_channel_create() {
  if (rng.chance(80)) {
    if (sc(SYS_CHANNEL_CREATE, u(&out_h[0]), u(&out_h[1])) == KEEL_OK) {
      hold(out_h[0], CHAN);
      hold(out_h[1], CHAN);
    }
  } else {
    // Bad out pointers: nothing may be created (or, if both happen to be
    // valid scratch, two handles nobody tracks: closed at exit).
    uint64_t a = pointer(4), b = rng.chance(50) ? pointer(4) : u(&out_h[1]);
    if (sc(SYS_CHANNEL_CREATE, a, b) == KEEL_OK && in_data(a, 4) &&
        (b == u(&out_h[1]) || in_data(b, 4))) {
      keel_handle_t ha = handle_at(a), hb = handle_at(b);
      if (ha != hb) hold(ha, CHAN);  // (a == b: the second value overwrote the first)
      hold(hb, CHAN);
    }
  }
}

uint64_t channel_handle() {
  if (rng.chance(25)) return ring[rng.below(2)];
  return handle(CHAN);
}

void act_channel_write() {
  uint64_t h = channel_handle();
  size_t n = rng.chance(80) ? rng.pick(SIZES) + rng.below(2) : length();
  uint64_t bytes;
  if (rng.chance(75)) {
    shape_payload(n < KEEL_CHANNEL_MAX_BYTES ? n : KEEL_CHANNEL_MAX_BYTES);
    bytes = u(payload);
  } else {
    bytes = pointer(n);
  }
  size_t nh = handles_to_move(hbuf_out, KEEL_CHANNEL_MAX_HANDLES);
  uint64_t hp = rng.chance(90) ? u(hbuf_out) : pointer(nh * 4);
  // Never give away the base handles: without them the worker would stop
  // reaching procfs, the directory and the ring.
  for (size_t i = 0; i < nh && i < KEEL_CHANNEL_MAX_HANDLES; i++)
    if (is_base(hbuf_out[i])) hbuf_out[i] = 0;
  int64_t s = sc(SYS_CHANNEL_WRITE, h, bytes, n, hp, nh);
  if (s == KEEL_OK && hp == u(hbuf_out)) moved(hbuf_out, nh);
}

void act_channel_read() {
  uint64_t h = channel_handle();
  bool good = rng.chance(75);
  rd_args.bytes = reinterpret_cast<void*>(good ? u(inbox) : pointer(KEEL_CHANNEL_MAX_BYTES));
  rd_args.bytes_cap = good ? (rng.chance(85) ? KEEL_CHANNEL_MAX_BYTES : rng.below(300)) : length();
  bool good_h = rng.chance(85);
  rd_args.handles = good_h ? hbuf_in : reinterpret_cast<keel_handle_t*>(pointer(64));
  rd_args.handles_cap =
      good_h ? (rng.chance(90) ? KEEL_CHANNEL_MAX_HANDLES : rng.below(3)) : length();
  rd_args.actual_bytes = rd_args.actual_handles = 0;
  rd_args.timeout_ms = rng.chance(98) ? 0 : 1 + rng.below(3);
  uint64_t ap = rng.chance(92)
                    ? u(&rd_args)
                    : bad_block(sizeof(rd_args), offsetof(keel_channel_read_args, timeout_ms));
  int64_t s = sc(SYS_CHANNEL_READ, h, ap);
  if (s == KEEL_OK && ap == u(&rd_args) && good_h) ingest(hbuf_in, rd_args.actual_handles);
  uint64_t hp = u(rd_args.handles);
  if (s == KEEL_OK && ap == u(&rd_args) && !good_h &&
      rd_args.actual_handles <= KEEL_CHANNEL_MAX_HANDLES &&
      in_data(hp, 4 * rd_args.actual_handles)) {
    keel_handle_t got[KEEL_CHANNEL_MAX_HANDLES];
    memcpy(got, reinterpret_cast<void*>(hp), 4 * rd_args.actual_handles);
    ingest(got, rd_args.actual_handles);
  }
}

void act_channel_call() {
  uint64_t h = channel_handle();
  size_t n = rng.pick(SIZES);
  shape_payload(n);
  call_args.wr_bytes = rng.chance(85) ? payload : reinterpret_cast<void*>(pointer(n));
  call_args.wr_num_bytes = rng.chance(90) ? n : length();
  size_t nh = handles_to_move(hbuf_out, KEEL_CHANNEL_MAX_HANDLES);
  for (size_t i = 0; i < nh && i < KEEL_CHANNEL_MAX_HANDLES; i++)
    if (is_base(hbuf_out[i])) hbuf_out[i] = 0;
  call_args.wr_handles = hbuf_out;
  call_args.wr_num_handles = nh;
  bool good = rng.chance(80);
  call_args.rd_bytes = good ? inbox : reinterpret_cast<void*>(pointer(KEEL_CHANNEL_MAX_BYTES));
  call_args.rd_bytes_cap = good ? KEEL_CHANNEL_MAX_BYTES : length();
  call_args.rd_handles = hbuf_in;
  call_args.rd_handles_cap = rng.chance(90) ? KEEL_CHANNEL_MAX_HANDLES : rng.below(2);
  call_args.actual_bytes = call_args.actual_handles = 0;
  call_args.timeout_ms = rng.chance(95) ? 0 : 1 + rng.below(4);
  uint64_t ap = rng.chance(93)
                    ? u(&call_args)
                    : bad_block(sizeof(call_args), offsetof(keel_channel_call_args, timeout_ms));
  int64_t s = sc(SYS_CHANNEL_CALL, h, ap);
  if (ap != u(&call_args)) return;
  // The write happened unless the call failed before it: a handle that is
  // no longer ours makes object_info fail, which is all forget() needs.
  if (s == KEEL_OK || s == ERR_TIMED_OUT || s == ERR_SHOULD_WAIT || s == ERR_PEER_CLOSED ||
      s == ERR_INTERRUPTED) {
    for (size_t i = 0; i < nh && i < KEEL_CHANNEL_MAX_HANDLES; i++)
      if (hbuf_out[i] && sc(SYS_OBJECT_INFO, hbuf_out[i], u(&info_out)) == ERR_BAD_HANDLE)
        forget(hbuf_out[i]);
  }
  if (s == KEEL_OK) ingest(hbuf_in, call_args.actual_handles);
}

// Register IPC: the raw calls with any handle, length, words and timeout
// (never one that waits for ever on a channel nobody may answer), and round
// trips through the fast path with an echo server process of our own, whose
// replies must be exact.
uint64_t echo_mismatches;

// Close the echo channel and end its server (it ends when its peer closes;
// the kill is for one that a forged handle left waiting elsewhere).
void end_echo() {
  keel_handle_t client = echo_client;
  echo_client = KEEL_HANDLE_INVALID;  // (these calls name it, and taint nothing)
  sc(SYS_HANDLE_CLOSE, client);
  sc(SYS_PROCESS_KILL, echo_server);
  sc(SYS_PROCESS_WAIT, echo_server, u(&out_u64[0]), keel::PATIENCE_MS);
  sc(SYS_HANDLE_CLOSE, echo_server);
  echo_server = KEEL_HANDLE_INVALID;
  echo_tainted = false;
}

int64_t raw_ipc(uint64_t n, uint64_t h, uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3,
                uint64_t len, uint64_t timeout, uint64_t* out) {
  calls++;
  keel::IpcMessage m{{w0, w1, w2, w3}, len, 0};
  int64_t r = keel::ipc(n, h, m, timeout);
  for (unsigned i = 0; i < KEEL_IPC_WORDS; i++) out[i] = m.w[i];
  out[4] = m.bytes;
  return r;
}

void act_ipc() {
  uint64_t out[5];
  if (rng.chance(40)) {
    uint64_t num = rng.chance(50) ? SYS_IPC_CALL : SYS_IPC_REPLY_WAIT;
    uint64_t h = rng.chance(85) ? channel_handle() : rng.next();
    note_handle_use(h);
    const uint64_t lens[] = {0, 1, 8, 15, 16, 31, 32, 33, 4096, KEEL_IPC_NO_REPLY, ~0ull - 1};
    uint64_t len = rng.chance(80) ? rng.pick(lens) : rng.next();
    const uint64_t timeouts[] = {0, 1, 2, 3};
    raw_ipc(num, h, rng.next(), rng.next(), rng.next(), rng.next(), len, rng.pick(timeouts), out);
    return;
  }
  if (sub) return;  // sub-workers start no children
  if (echo_client == KEEL_HANDLE_INVALID) {
    keel_handle_t theirs;
    if (sc(SYS_CHANNEL_CREATE, u(&echo_client), u(&theirs)) != KEEL_OK) return;
    if (keel::spawn("ipc-echo", nullptr, 0, &theirs, 1, &echo_server) < 0) {
      sc(SYS_HANDLE_CLOSE, echo_client);
      sc(SYS_HANDLE_CLOSE, theirs);
      echo_client = KEEL_HANDLE_INVALID;
      return;
    }
    children_started++;
  }
  if (echo_tainted) {  // another call may have used the channel: start over
    end_echo();
    return;
  }
  for (int i = 0, rounds = 1 + static_cast<int>(rng.below(20)); i < rounds; i++) {
    uint64_t w[4] = {rng.next(), rng.next(), rng.next(), rng.next()};
    uint64_t len = rng.below(KEEL_IPC_MAX_BYTES + 1);
    int64_t r =
        raw_ipc(SYS_IPC_CALL, echo_client, w[0], w[1], w[2], w[3], len, KEEL_TIMEOUT_INFINITE, out);
    if (r != KEEL_OK) {  // the server was killed by a forged handle value: start another
      end_echo();
      return;
    }
    bool same = out[4] == len;
    const auto* sent = reinterpret_cast<const uint8_t*>(w);
    const auto* got = reinterpret_cast<const uint8_t*>(out);
    for (uint64_t k = 0; k < KEEL_IPC_MAX_BYTES; k++) same &= got[k] == (k < len ? sent[k] : 0);
    if (!same && echo_mismatches++ == 0)
      keel::printf("fuzzer: FAIL register echo: %lu bytes came back wrong\n", len);
  }
}

size_t live_children() {
  size_t n = 0;
  for (size_t i = 0; i < nheld; i++) n += held[i].kind == PROC;
  return n;
}

// Append one NUL-terminated string to the spawn block.
bool add_arg(size_t* len, uint32_t* argc, const char* s) {
  size_t n = strlen(s) + 1;
  if (*len + n > KEEL_SPAWN_MAX_ARGS_BYTES) return false;
  memcpy(spawn_block + *len, s, n);
  *len += n;
  (*argc)++;
  return true;
}

void act_spawn() {
  // Programs that end on their own, whatever their arguments; fuzz victims.
  const char* const names[] = {"fuzz",          "fuzz",
                               "fuzz",          "fuzz",
                               "exitcode",      "sleeper",
                               "exitcode",      "faulter",
                               "nosuch",        "bad-notelf",
                               "bad-truncated", "",
                               "fuzz\x01",      "exitcodeexitcodeexitcodeexitcodeexitcode"};
  const char* name = rng.pick(names);
  if (live_children() >= 6 && rng.chance(90)) name = "nosuch";  // keep the system small
  // Their console output is slow: seldom.
  if (str_eq_fuzzer(name, "faulter") && rng.chance(90)) name = "exitcode";
  if (str_eq_fuzzer(name, "exitcode") && rng.chance(2)) name = "hello";
  size_t len = 0;
  uint32_t argc = 0;
  char tmp[64];
  bool subworker = false;
  add_arg(&len, &argc, name);
  if (str_eq_fuzzer(name, "fuzz")) {
    const char* const modes[] = {"x", "s", "r", "b", "c", "e", "g", "f", "z", "?"};
    const char* m = rng.pick(modes);
    if (*m == 'f' && rng.chance(95)) m = "x";
    if (*m == 'z' && (sub || live_children() >= 3)) m = "x";
    add_arg(&len, &argc, "v");
    add_arg(&len, &argc, m);
    libk::format(tmp, sizeof(tmp), "%lu", rng.below(*m == 'x' ? 1000 : 40));
    add_arg(&len, &argc, tmp);
    if (*m == 'z') {  // its seed
      subworker = true;
      libk::format(tmp, sizeof(tmp), "%lu", rng.next() >> 1);
      add_arg(&len, &argc, tmp);
    }
  } else if (str_eq_fuzzer(name, "sleeper")) {
    libk::format(tmp, sizeof(tmp), "%lu", rng.below(30));
    add_arg(&len, &argc, tmp);
  }
  size_t junk = rng.chance(70) ? 0 : rng.below(KEEL_SPAWN_MAX_ARGS + 2);
  for (size_t i = 0; i < junk; i++) {
    size_t n = rng.below(rng.chance(10) ? 60 : 12);
    for (size_t k = 0; k < n; k++) tmp[k] = static_cast<char>(1 + rng.below(255));
    tmp[n] = 0;
    if (!add_arg(&len, &argc, tmp)) break;
  }
  spawn_args.name = name;
  spawn_args.name_len = strlen(name);
  spawn_args.args = spawn_block;
  spawn_args.args_len = len;
  spawn_args.argc = argc;
  spawn_args.flags = rng.chance(10)  ? KEEL_SPAWN_SUSPENDED
                     : rng.chance(3) ? static_cast<uint32_t>(rng.next())
                                     : 0;
  size_t nh = handles_to_move(hbuf_out, KEEL_SPAWN_MAX_HANDLES);
  for (size_t i = 0; i < nh && i < KEEL_SPAWN_MAX_HANDLES; i++)
    if (is_base(hbuf_out[i])) hbuf_out[i] = 0;
  if (subworker) {
    // A sub-worker gets what a worker has, as duplicates: procfs, the
    // directory and a ring endpoint. (They go with it when it is killed.)
    nh = 0;
    const keel_handle_t bases[] = {service, directory, ring[rng.below(2)]};
    for (keel_handle_t b : bases)
      if (sc(SYS_HANDLE_DUPLICATE, b, KEEL_RIGHTS_SAME, u(&hbuf_out[nh])) == KEEL_OK)
        hold(hbuf_out[nh++], UNKNOWN);
  }
  spawn_args.handles = hbuf_out;
  spawn_args.num_handles = nh;
  spawn_args.job = rng.chance(75) ? KEEL_HANDLE_INVALID : handle(JOB);  // ours, or one we made
  switch (rng.below(14)) {  // and sometimes a malformed request
    case 0:
      spawn_args.argc += 1 + static_cast<uint32_t>(rng.below(3));
      break;
    case 1:
      spawn_args.args_len = len ? len - 1 : 1;
      break;
    case 2:
      spawn_args.name = reinterpret_cast<const char*>(pointer(8));
      break;
    case 3:
      spawn_args.name_len = length();
      break;
    case 4:
      spawn_args.args = reinterpret_cast<const char*>(pointer(len));
      break;
    case 5:
      spawn_args.args_len = length();
      break;
    case 6:
      spawn_args.handles = reinterpret_cast<keel_handle_t*>(pointer(nh * 4));
      break;
    case 7:
      spawn_args.argc = static_cast<uint32_t>(rng.next());
      break;
    default:
      break;
  }
  bool good_out = rng.chance(90);
  uint64_t ap = rng.chance(95) ? u(&spawn_args) : pointer(sizeof(spawn_args));
  uint64_t out = good_out ? u(&out_h[0]) : pointer(4);
  int64_t s = sc(SYS_PROCESS_SPAWN, ap, out);
  if (s == KEEL_OK && !good_out && in_data(out, 4)) hold(handle_at(out), PROC);
  if (s == KEEL_OK && ap == u(&spawn_args)) {
    if (spawn_args.handles == hbuf_out) moved(hbuf_out, nh);
    if (good_out) hold(out_h[0], PROC);
    children_started++;
    subworkers_started += subworker;
  }
}

void act_kill_wait() {
  int i = find_kind(PROC);
  uint64_t h = i >= 0 && rng.chance(80) ? held[i].h : handle(static_cast<Kind>(rng.below(6)));
  switch (rng.below(6)) {
    case 5:  // start a suspended one (or be refused: started, no START, not a process)
      sc(SYS_PROCESS_START, h);
      return;
    case 0:  // let it reach another state first: running, sleeping, blocked, exited
      if (rng.chance(90))
        sc(SYS_YIELD);
      else
        sc(SYS_SLEEP_MS, rng.below(3));
      [[fallthrough]];
    case 1:
    case 2:
      sc(SYS_PROCESS_KILL, h);
      if (rng.chance(50)) return;
      [[fallthrough]];
    default: {
      bool good = rng.chance(85);
      uint64_t t = rng.chance(95) ? 0 : 1 + rng.below(5);
      int64_t s = sc(SYS_PROCESS_WAIT, h, good ? u(&out_u64[0]) : pointer(8), t);
      if (s == KEEL_OK) forget(static_cast<keel_handle_t>(h));
      if (s == KEEL_OK && rng.chance(30)) {  // an already-reaped handle
        sc(SYS_PROCESS_KILL, h);
        sc(SYS_PROCESS_WAIT, h, u(&out_u64[0]), 0);
      }
    }
  }
}

// Tasks of this process: refused task_creates (a task the kernel accepted
// with a random pc or stack would fault and end the fuzzer), and real ones
// (sleeping 0-3 ms) killed, polled, waited for with bad pointers, inspected
// and copied at random moments; each is reaped before the action ends. The
// task body touches nothing but its argument: rng, printf and malloc are
// this task's alone.
int64_t task_body(void* arg) {
  uint64_t ms = reinterpret_cast<uint64_t>(arg);
  if (ms) keel::sleep_ms(ms);
  return static_cast<int64_t>(ms);
}

void act_tasks() {
  if (rng.chance(30)) {
    const uint64_t pcs[] = {0, u(&task_body) + 1, 0xffffffff80200000ull, 0x0000004000000000ull};
    uint64_t good_sp = u(data) + 256;
    const uint64_t sps[] = {0, good_sp + 8, 0xffffffff80200000ull, 8, rng.next()};
    bool bad_pc = rng.chance(50);
    uint64_t pc = bad_pc ? rng.pick(pcs) : u(&task_body);
    uint64_t sp = bad_pc ? good_sp : rng.pick(sps);
    if (!bad_pc && sp % 16 == 0) sp += 8;  // rng.next() might have been aligned
    sc(SYS_TASK_CREATE, pc, sp, 0, rng.chance(80) ? u(&out_h[0]) : pointer(8));
    uint64_t h = handle(static_cast<Kind>(rng.below(6)));
    sc(rng.chance(50) ? SYS_TASK_KILL : SYS_TASK_WAIT, h, u(&out_u64[0]), 0);
    return;
  }
  keel::Thread t;
  if (keel::thread_start(t, task_body, reinterpret_cast<void*>(rng.below(4)), 4096) != KEEL_OK)
    return;
  for (int steps = static_cast<int>(rng.below(4)); steps > 0; steps--) {
    switch (rng.below(5)) {
      case 0:
        sc(SYS_TASK_KILL, t.handle);
        break;
      case 1:
        sc(SYS_TASK_WAIT, t.handle, pointer(8), rng.below(2));
        break;
      case 2:
        sc(SYS_OBJECT_INFO, t.handle, rng.chance(80) ? u(&info_out) : pointer(sizeof(info_out)));
        break;
      case 3:
        if (sc(SYS_HANDLE_DUPLICATE, t.handle, rng.chance(50) ? KEEL_RIGHTS_SAME : rng.below(64),
               u(&out_h[1])) == KEEL_OK)
          sc(SYS_HANDLE_CLOSE, out_h[1]);
        break;
      default:
        sc(SYS_YIELD);
    }
  }
  int64_t code;
  keel::thread_join(t, &code);
}

void act_directory() {
  uint64_t d = rng.chance(75) ? directory : handle(DIR);
  if (rng.chance(50)) {
    size_t cap = rng.chance(80) ? rng.below(20) : length();
    uint64_t p = rng.chance(80) ? u(data) : pointer(cap * 8);
    sc(SYS_PROCESS_LIST, d, p, cap, rng.chance(85) ? u(&out_u64[0]) : pointer(8),
       rng.chance(70)   ? 0
       : rng.chance(50) ? rng.below(64)
                        : rng.next());  // after: a cursor
    return;
  }
  uint64_t pid = rng.chance(70) ? 1 + rng.below(40) : rng.chance(50) ? rng.next() : 0;
  bool good = rng.chance(85);
  uint64_t out = good ? u(&out_h[0]) : pointer(4);
  if (sc(SYS_PROCESS_OPEN, d, pid, out) == KEEL_OK && (good || in_data(out, 4)))
    hold(good ? out_h[0] : handle_at(out), OBS);
}

// Jobs: made under ours or one we hold (small random quotas), killed,
// listed, opened, closed (the last close kills). Children spawn into them
// in act_spawn.
keel_job_limits job_limits;
void act_job() {
  int i = find_kind(JOB);
  uint64_t h = i >= 0 && rng.chance(80) ? held[i].h : handle(JOB);
  switch (rng.below(6)) {
    case 0:
    case 1: {
      job_limits.max_processes = rng.chance(30) ? 0 : rng.below(8);
      job_limits.max_handles = rng.chance(50) ? 0 : rng.below(300);
      job_limits.max_frames = rng.chance(50) ? 0 : rng.below(600);
      uint64_t parent = rng.chance(50) ? KEEL_HANDLE_INVALID : h;
      uint64_t lp = rng.chance(90) ? u(&job_limits) : pointer(sizeof(job_limits));
      bool good = rng.chance(90);
      uint64_t out = good ? u(&out_h[0]) : pointer(8);
      if (sc(SYS_JOB_CREATE, parent, lp, out) == KEEL_OK && (good || in_data(out, 8)))
        hold(good ? out_h[0] : handle_at(out), JOB);
      return;
    }
    case 2:
      sc(SYS_JOB_KILL, h);
      return;
    case 3: {
      size_t cap = rng.chance(80) ? rng.below(20) : length();
      uint64_t p = rng.chance(80) ? u(data) : pointer(cap * 8);
      sc(SYS_JOB_LIST, h, p, cap, rng.chance(85) ? u(&out_u64[0]) : pointer(8),
         rng.chance(70) ? 0 : rng.next());
      return;
    }
    case 4: {
      uint64_t pid = rng.chance(70) ? 1 + rng.below(60) : rng.next();
      bool good = rng.chance(85);
      uint64_t out = good ? u(&out_h[0]) : pointer(8);
      if (sc(SYS_JOB_OPEN, h, pid, out) == KEEL_OK && (good || in_data(out, 8)))
        hold(good ? out_h[0] : handle_at(out), PROC);
      return;
    }
    default:
      if (i >= 0 && sc(SYS_HANDLE_CLOSE, held[i].h) == KEEL_OK) forget(held[i].h);
      return;
  }
}

struct Vm {
  uint64_t addr, size;
};
Vm vms[16];
size_t nvms;

void act_vm() {
  if (rng.chance(55) || nvms == 0) {
    uint64_t size;
    // Mostly small; now and then large (zeroing them is what costs).
    // (Timed waits are rare everywhere: a tick is 10 ms, and a worker that
    // sleeps makes no calls. Victims provide the blocked and sleeping states.)
    switch (rng.below(12)) {
      case 0:
        size = 0;
        break;
      case 1:
        size = rng.chance(3) ? (64ull << 20) + rng.below(2) * 4096 : length();
        break;
      case 2:
        size = length();
        break;
      case 3:
        size = 1 + rng.below(rng.chance(10) ? 4ull << 20 : 256 << 10);
        break;
      default:
        size = 1 + rng.below(32 << 10);
    }
    uint32_t perms = rng.chance(80) ? (rng.chance(50) ? KEEL_VM_READ | KEEL_VM_WRITE : KEEL_VM_READ)
                                    : static_cast<uint32_t>(rng.below(16));
    uint64_t p = rng.chance(90) ? u(&out_u64[1]) : pointer(8);
    if (p != u(&out_u64[1]) || nvms == 16) {
      // A bad out pointer must map nothing. (With a full table, use a bad one.)
      sc(SYS_VM_ALLOC, size & 0xffff, perms, nvms == 16 ? u(ro) : p);
      return;
    }
    if (sc(SYS_VM_ALLOC, size, perms, p) == KEEL_OK) {
      vms[nvms++] = {out_u64[1], size};
      if (size > (1u << 20)) {  // give big ones back at once: keep memory for the others
        sc(SYS_VM_FREE, out_u64[1], size);
        nvms--;
      }
    }
    return;
  }
  size_t i = rng.below(nvms);
  Vm v = vms[i];
  uint64_t round = (v.size + 4095) & ~4095ull;
  switch (rng.below(8)) {
    case 0:
      sc(SYS_VM_FREE, v.addr, round + 4096);
      return;  // too long
    case 1:
      sc(SYS_VM_FREE, v.addr + 1, v.size);
      return;  // unaligned
    case 2:
      sc(SYS_VM_FREE, v.addr, 0);
      return;  // empty
    case 3:
      sc(SYS_VM_FREE, kernel_address() & ~4095ull, v.size);
      return;
    case 4:
      sc(SYS_VM_FREE, USER_TOP - 4096, 8192);
      return;  // across the top
    default: {
      // Exact (or the same pages): frees it. Read it first (every
      // allocation is readable), so its first page is in the TLB.
      (void)*reinterpret_cast<volatile uint8_t*>(v.addr);
      if (sc(SYS_VM_FREE, v.addr, rng.chance(50) ? v.size : round) == KEEL_OK) {
        vms[i] = vms[--nvms];
        if (rng.chance(30)) sc(SYS_VM_FREE, v.addr, v.size);  // again: gone
      }
    }
  }
}

// A procfs request: well formed, mutated or random bytes, with zero, one
// (the usual reply endpoint) or several handles attached.
void act_procfs() {
  keel_handle_t mine, theirs;
  if (sc(SYS_CHANNEL_CREATE, u(&mine), u(&theirs)) != KEEL_OK) return;
  const char* const paths[] = {"/proc",
                               "/proc/kstat",
                               "/proc/meminfo",
                               "/proc/1/status",
                               "/proc/2/status",
                               "/proc/3",
                               "/proc/99999999999999999999",
                               "/proc/../proc",
                               "/",
                               "",
                               "/proc/1/",
                               "/proc//status",
                               "/proc/kstat/x",
                               "/proc/-1/status"};
  const char* path = rng.pick(paths);
  size_t pl = strlen(path);
  uint32_t op =
      rng.chance(80) ? static_cast<uint32_t>(1 + rng.below(2)) : static_cast<uint32_t>(rng.next());
  size_t n;
  if (rng.chance(70)) {
    uint32_t len = static_cast<uint32_t>(pl);
    if (rng.chance(15))
      len = static_cast<uint32_t>(rng.chance(50) ? rng.next() : pl + 1 + rng.below(4));
    memcpy(payload, &op, 4);
    memcpy(payload + 4, &len, 4);
    memcpy(payload + 8, path, pl);
    n = 8 + pl;
    if (rng.chance(20)) {  // flip bytes
      for (int k = 0, m = 1 + static_cast<int>(rng.below(4)); k < m; k++)
        payload[rng.below(n)] ^= static_cast<uint8_t>(1 + rng.below(255));
    }
    if (rng.chance(10)) n = rng.below(n + 8);
  } else {
    n = rng.below(rng.chance(80) ? 140 : KEEL_CHANNEL_MAX_BYTES + 1);
    for (size_t k = 0; k < n; k++) payload[k] = static_cast<uint8_t>(rng.next());
  }
  keel_handle_t hs[3] = {theirs, 0, 0};
  size_t nh = 1;
  switch (rng.below(10)) {
    case 0:
      nh = 0;
      break;
    case 1:  // an extra handle from the pool (procfs must close it)
      if (nheld) {
        hs[1] = held[rng.below(nheld)].h;
        if (!is_base(hs[1])) nh = 2;
      }
      break;
    case 2:  // a directory or observer in place of the reply endpoint
      if (sc(SYS_HANDLE_DUPLICATE, directory, KEEL_RIGHTS_SAME, u(&hs[0])) == KEEL_OK) {
        int64_t s = sc(SYS_CHANNEL_WRITE, service, u(payload), n, u(hs), 1);
        if (s != KEEL_OK) sc(SYS_HANDLE_CLOSE, hs[0]);
      }
      sc(SYS_HANDLE_CLOSE, mine);
      sc(SYS_HANDLE_CLOSE, theirs);
      return;
    default:
      break;
  }
  int64_t s = sc(SYS_CHANNEL_WRITE, service, u(payload), n, u(hs), nh);
  if (s != KEEL_OK) {
    sc(SYS_HANDLE_CLOSE, theirs);
  } else {
    if (nh == 2) forget(hs[1]);
    if (nh > 0) {
      // procfs answers or drops the request and closes the endpoint: either
      // way this returns; the bound only catches a procfs that hangs.
      rd_args.bytes = inbox;
      rd_args.bytes_cap = rng.chance(90) ? KEEL_CHANNEL_MAX_BYTES : rng.below(16);
      rd_args.handles = hbuf_in;
      rd_args.handles_cap = KEEL_CHANNEL_MAX_HANDLES;
      rd_args.timeout_ms = rng.chance(80) ? keel::PATIENCE_MS : rng.below(2);
      if (sc(SYS_CHANNEL_READ, mine, u(&rd_args)) == KEEL_OK)
        ingest(hbuf_in, rd_args.actual_handles);
    }
  }
  sc(SYS_HANDLE_CLOSE, mine);
}

void act_misc() {
  switch (rng.below(9)) {
    case 0:
      sc(SYS_NULL);
      return;
    case 1:
      sc(SYS_YIELD);
      return;
    case 2:
      sc(SYS_CLOCK_MS, rng.chance(50) ? u(&out_u64[0]) : pointer(8));
      return;
    case 3: {  // kstat into good, short and bad buffers
      size_t cap = rng.chance(50) ? DATA_SIZE : length();
      sc(SYS_KSTAT_READ, rng.chance(70) ? u(data) : pointer(cap), cap,
         rng.chance(80) ? u(&out_u64[0]) : pointer(8));
      return;
    }
    case 4:
      sc(SYS_SLEEP_MS, rng.chance(90) ? 0 : 1);
      return;
    case 5: {  // console writes of nothing, or from memory the kernel must refuse
      // (Never of real bytes: the console is slow, and the log is evidence.)
      const uint64_t bad[] = {0, USER_TOP - 4, USER_TOP, ~0ull - 8, 0x3000000000ull, 0x1000};
      bool empty = rng.chance(30);
      sc(SYS_DEBUG_WRITE,
         empty            ? pointer(0)
         : rng.chance(50) ? rng.pick(bad)
                          : kernel_address(),
         empty ? 0 : 1 + rng.below(64));
      return;
    }
    case 6:  // console read without waiting
      sc(SYS_DEBUG_READ, rng.chance(50) ? u(data) : pointer(16), length() & 0xfff,
         rng.chance(70) ? u(&out_u64[0]) : pointer(8), 0);
      return;
    case 7:  // calls this process holds no right for
      sc(SYS_POWEROFF, handle(DIR), rng.next() & 0xff);
      sc(SYS_SYSTEM_AUDIT, handle(DIR));
      return;
    default: {  // raw garbage: numbers outside the table, random words
      const uint64_t nums[] = {SYS_COUNT,
                               SYS_COUNT + 1,
                               64,
                               255,
                               1ull << 32,
                               ~0ull,
                               0x8000000000000000ull,
                               SYS_HANDLE_CLOSE,
                               SYS_OBJECT_INFO,
                               SYS_PROCESS_KILL,
                               SYS_PROCESS_LIST,
                               SYS_PROCESS_START,
                               SYS_KSTAT_READ};
      uint64_t n = rng.pick(nums);
      uint64_t a[6];
      for (auto& x : a) x = rng.chance(50) ? rng.next() : pointer(16);
      if (n == SYS_HANDLE_CLOSE || n == SYS_PROCESS_KILL) {
        if (is_base(static_cast<keel_handle_t>(a[0]))) return;
        if (n == SYS_HANDLE_CLOSE && sc(n, a[0]) == KEEL_OK)
          forget(static_cast<keel_handle_t>(a[0]));
        else if (n == SYS_PROCESS_KILL)
          sc(n, a[0]);
        return;
      }
      sc(n, a[0], a[1], a[2], a[3], a[4], a[5]);
    }
  }
}

// ---------------------------------------------------------------- roles

void read_kaddrs(int argc, char** argv, int from) {
  for (int i = from; i < argc && nkaddrs < MAX_KADDRS; i++) {
    uint64_t a = parse_hex(argv[i]);
    if (!a) continue;
    libk::format(kaddr_text[nkaddrs], sizeof(kaddr_text[0]), "%s", argv[i]);
    kaddrs[nkaddrs++] = a;
  }
}

// The worker's loop: `budget` calls, actions picked by weight. A sub-worker
// (id ~0) reports nothing.
void fuzz_loop(uint64_t budget, uint64_t id) {
  uint64_t next_report = budget / 4;
  while (calls < budget) {
    switch (rng.below(32)) {
      case 0:
      case 1:
      case 2:
        act_handles();
        break;
      case 3:
        act_channel_create();
        break;
      case 4:
      case 5:
      case 6:
      case 7:
        act_channel_write();
        break;
      case 8:
      case 9:
      case 10:
      case 11:
        act_channel_read();
        break;
      case 12:
      case 13:
        act_channel_call();
        break;
      case 14:
      case 15:
        act_spawn();
        break;
      case 16:
      case 17:
      case 18:
        act_kill_wait();
        break;
      case 19:
      case 20:
        act_directory();
        break;
      case 21:
      case 22:
        act_vm();
        break;
      case 23:
      case 24:
        act_procfs();
        break;
      case 25:
        act_tasks();
        break;
      case 26:
        act_ipc();
        break;
      case 27:
        act_job();
        break;
      default:
        act_misc();
        break;
    }
    if (calls >= next_report && id != ~0ull) {
      keel::printf("fuzzer: worker %lu at %lu calls\n", id, calls);
      keel::flush();
      next_report += budget / 4;
    }
  }
}

int worker(int argc, char** argv) {
  // fuzz w ID CALLS SEED [KADDR...]; handles: service, directory, ring a, ring b
  if (argc < 5 || keel::startup_handle_count() < 4) return -1;
  uint64_t id = parse_u(argv[2]), budget = parse_u(argv[3]), seed = parse_u(argv[4]);
  read_kaddrs(argc, argv, 5);
  rng.seed(seed * 1000003 + id);
  service = keel::startup_handle(0);
  directory = keel::startup_handle(1);
  ring[0] = keel::startup_handle(2);
  ring[1] = keel::startup_handle(3);
  uintptr_t a = 0;
  if (sc(SYS_VM_ALLOC, DATA_SIZE, KEEL_VM_READ | KEEL_VM_WRITE, u(&a)) != KEEL_OK) return -2;
  data = reinterpret_cast<uint8_t*>(a);
  if (sc(SYS_VM_ALLOC, 4096, KEEL_VM_READ, u(&a)) != KEEL_OK) return -2;
  ro = reinterpret_cast<uint8_t*>(a);

  fuzz_loop(budget, id);
  if (echo_client != KEEL_HANDLE_INVALID) end_echo();
  // Clean up: every child killed and reaped, every handle closed, every
  // allocation freed. (What the kernel would do at exit anyway; doing it
  // here exercises the same calls on purpose.)
  for (size_t i = 0; i < nheld; i++) {
    if (held[i].kind == PROC) {
      sc(SYS_PROCESS_KILL, held[i].h);
      sc(SYS_PROCESS_WAIT, held[i].h, u(&out_u64[0]), keel::PATIENCE_MS);
    }
    sc(SYS_HANDLE_CLOSE, held[i].h);
  }
  nheld = 0;
  for (size_t i = 0; i < nvms; i++) sc(SYS_VM_FREE, vms[i].addr, vms[i].size);
  nvms = 0;
  keel::printf(
      "fuzzer: worker %lu done, %lu calls, %lu children started (%lu sub-workers), echo channel "
      "named by another call %lu times\n",
      id, calls, children_started, subworkers_started, echo_taints);
  keel::flush();
  keel::exit(static_cast<int64_t>(calls));
}

void fuzz_loop(uint64_t budget, uint64_t id);

// A victim that fuzzes: a worker in miniature, killed at a random moment by
// the worker that started it (or it ends after its budget), with whatever
// it holds then: channels with queued messages, children, mappings.
int subworker(uint64_t budget, uint64_t seed) {
  sub = true;
  rng.seed(seed);
  size_t n = keel::startup_handle_count();
  service = n > 0 ? keel::startup_handle(0) : 0;
  directory = n > 1 ? keel::startup_handle(1) : 0;
  ring[0] = ring[1] = n > 2 ? keel::startup_handle(2) : 0;
  uintptr_t a = 0;
  if (sc(SYS_VM_ALLOC, DATA_SIZE, KEEL_VM_READ | KEEL_VM_WRITE, u(&a)) != KEEL_OK) return 0;
  data = reinterpret_cast<uint8_t*>(a);
  if (sc(SYS_VM_ALLOC, 4096, KEEL_VM_READ, u(&a)) != KEEL_OK) return 0;
  ro = reinterpret_cast<uint8_t*>(a);
  fuzz_loop(budget, ~0ull);
  return 0;  // no cleanup: exit leaves it all to the kernel
}

// Victims: children in a known state that always end by themselves.
int victim(int argc, char** argv) {
  char mode = argc > 2 ? argv[2][0] : 'x';
  uint64_t p = argc > 3 ? parse_u(argv[3]) : 0;
  if (p > 1000) p = 1000;
  keel_handle_t h = keel::startup_handle_count() ? keel::startup_handle(0) : 0;
  switch (mode) {
    case 'x':
      return static_cast<int>(p);
    case 's':
      keel::sleep_ms(p);
      return 0;
    case 'r': {  // running: spin (with a yield now and then) for p ms
      uint64_t end = keel::clock_ms() + p;
      while (keel::clock_ms() < end)
        for (int i = 0; i < 2000; i++) asm volatile("");
      return 0;
    }
    case 'b': {  // blocked in channel_read
      keel_channel_read_args ra{};
      ra.bytes = inbox;
      ra.bytes_cap = sizeof(inbox);
      ra.handles = hbuf_in;
      ra.handles_cap = KEEL_CHANNEL_MAX_HANDLES;
      ra.timeout_ms = 10 + p * 10;
      keel::channel_read(h, &ra);
      return 0;
    }
    case 'c': {  // blocked in channel_call
      keel_channel_call_args ca{};
      ca.wr_bytes = "?";
      ca.wr_num_bytes = 1;
      ca.rd_bytes = inbox;
      ca.rd_bytes_cap = sizeof(inbox);
      ca.rd_handles = hbuf_in;
      ca.rd_handles_cap = KEEL_CHANNEL_MAX_HANDLES;
      ca.timeout_ms = 10 + p * 10;
      keel::channel_call(h, &ca);
      return 0;
    }
    case 'e': {  // echo what arrives (with its handles) a few times
      for (uint64_t i = 0; i < p % 8; i++) {
        size_t n = 0, nh = 0;
        if (keel::read_message(h, inbox, sizeof(inbox), &n, hbuf_in, KEEL_CHANNEL_MAX_HANDLES, &nh,
                               50) != KEEL_OK)
          break;
        if (keel::channel_write(h, inbox, n, hbuf_in, nh) != KEEL_OK) break;
      }
      return 0;
    }
    case 'g': {  // leave an orphan grandchild behind (it sleeps, then exits)
      const char* args[] = {"v", "s", "20"};
      keel_handle_t child;
      if (keel::spawn("fuzz", args, 3, nullptr, 0, &child) == KEEL_OK) keel::handle_close(child);
      return 0;
    }
    case 'z':
      return subworker(200 + p * 100, argc > 4 ? parse_u(argv[4]) : p);
    case 'f': {  // killed by a fault (a store to the null guard page)
      uintptr_t null_page = p & 0;
      asm volatile("sd zero, 8(%0)" : : "r"(null_page) : "memory");
      return 0;
    }
    default:
      return 0;
  }
}

// What every process is doing: printed when the workers seem stuck.
void dump_processes(keel_handle_t dir) {
  uint64_t pids[64];
  size_t n = 0;
  int64_t r = keel::process_list(dir, pids, 64, &n);
  if (r < 0 && r != ERR_BUFFER_TOO_SMALL) return;
  keel::printf("fuzzer: no worker finished for 10 minutes; %zu processes:\n", n);
  for (size_t i = 0; i < n && i < 64; i++) {
    keel_handle_t obs;
    keel_object_info inf{};
    if (keel::process_open(dir, pids[i], &obs) != KEEL_OK) continue;
    if (keel::object_info(obs, &inf) == KEEL_OK)
      keel::printf("fuzzer:   pid %lu (%s) parent %lu state %u tasks %lu handles %lu pages %lu\n",
                   inf.koid, inf.name, inf.related_koid, inf.state, inf.tasks, inf.handles,
                   inf.pages);
    keel::handle_close(obs);
  }
  keel::flush();
}

// The parent, run as init with the process directory (every right).
int parent(int argc, char** argv) {
  // fuzz run CALLS SEED WORKERS [KADDR...]
  uint64_t total = argc > 2 ? parse_u(argv[2]) : 10000;
  uint64_t seed = argc > 3 ? parse_u(argv[3]) : 1;
  uint64_t nworkers = argc > 4 ? parse_u(argv[4]) : 3;
  if (nworkers < 1) nworkers = 1;
  if (nworkers > 8) nworkers = 8;
  read_kaddrs(argc, argv, 5);
  keel_handle_t dir = keel::startup_handle(0);
  keel::printf("fuzzer: %lu calls, seed %lu, %lu workers, %zu kernel addresses\n", total, seed,
               nworkers, nkaddrs);
  int failures = 0;

  // procfs, as init would start it.
  keel_handle_t client, server, pdir, pserver;
  if (keel::channel_create(&client, &server) < 0) return 2;
  if (keel::handle_duplicate(dir, KEEL_RIGHT_ENUMERATE | KEEL_RIGHT_INSPECT | KEEL_RIGHT_TRANSFER,
                             &pdir) < 0 ||
      keel::handle_duplicate(server, KEEL_RIGHTS_SAME, &pserver) < 0)
    return 2;
  keel_handle_t ph[] = {pserver, pdir};
  keel_handle_t procfs;
  if (keel::spawn("procfs", nullptr, 0, ph, 2, &procfs) < 0) return 3;

  // The ring: pair i joins worker i (end a) and worker i+1 (end b).
  keel_handle_t ra[8], rb[8], workers[8];
  for (uint64_t i = 0; i < nworkers; i++)
    if (keel::channel_create(&ra[i], &rb[i]) < 0) return 2;
  for (uint64_t i = 0; i < nworkers; i++) {
    keel_handle_t wsvc, wdir;
    if (keel::handle_duplicate(client, KEEL_RIGHTS_SAME, &wsvc) < 0 ||
        keel::handle_duplicate(
            dir,
            KEEL_RIGHT_ENUMERATE | KEEL_RIGHT_INSPECT | KEEL_RIGHT_TRANSFER | KEEL_RIGHT_DUPLICATE,
            &wdir) < 0)
      return 2;
    keel_handle_t hs[] = {wsvc, wdir, ra[i], rb[(i + nworkers - 1) % nworkers]};
    size_t nh = 4;
    if (nworkers == 1) hs[3] = rb[0];
    char sid[24], scalls[24], sseed[24];
    libk::format(sid, sizeof(sid), "%lu", i);
    libk::format(scalls, sizeof(scalls), "%lu", total / nworkers + (i < total % nworkers));
    libk::format(sseed, sizeof(sseed), "%lu", seed);
    const char* args[4 + MAX_KADDRS] = {"w", sid, scalls, sseed};
    size_t nargs = 4;
    for (size_t k = 0; k < nkaddrs; k++) args[nargs++] = kaddr_text[k];
    if (keel::spawn("fuzz", args, nargs, hs, nh, &workers[i]) < 0) {
      keel::printf("fuzzer: cannot start worker %lu\n", i);
      return 3;
    }
  }

  uint64_t done = 0, made = 0;
  bool reaped[8] = {};
  uint64_t last_change = keel::clock_ms();
  while (done < nworkers) {
    if (keel::clock_ms() - last_change > 600000) {  // a diagnosis, not a verdict
      dump_processes(dir);
      last_change = keel::clock_ms();
    }
    for (uint64_t i = 0; i < nworkers; i++) {
      if (reaped[i]) continue;
      int64_t code = 0;
      int64_t r = keel::process_wait(workers[i], &code, 200);
      if (r == ERR_TIMED_OUT || r == ERR_SHOULD_WAIT) continue;
      reaped[i] = true;
      done++;
      last_change = keel::clock_ms();
      if (r != KEEL_OK || code < 0) {
        keel::printf("fuzzer: FAIL: worker %lu ended with %ld (wait %s)\n", i, code,
                     keel_status_name(static_cast<int32_t>(r)));
        failures++;
      } else {
        made += static_cast<uint64_t>(code);
      }
    }
  }

  // procfs must still answer after everything the workers sent it.
  {
    keel_handle_t mine, theirs;
    procfs_probe_ok = false;
    if (keel::channel_create(&mine, &theirs) == KEEL_OK) {
      uint8_t req[32];
      uint32_t op = 2, len = 11;
      memcpy(req, &op, 4);
      memcpy(req + 4, &len, 4);
      memcpy(req + 8, "/proc/kstat", 11);
      if (keel::channel_write(client, req, 19, &theirs, 1) == KEEL_OK) {
        size_t got = 0;
        procfs_probe_ok = keel::read_message(mine, inbox, sizeof(inbox), &got, nullptr, 0, nullptr,
                                             keel::PATIENCE_MS) == KEEL_OK;
      } else {
        keel::handle_close(theirs);
      }
      keel::handle_close(mine);
    }
    if (!procfs_probe_ok) {
      keel::printf("fuzzer: FAIL: procfs does not answer any more\n");
      failures++;
    }
  }

  // Orphaned victims end by themselves: wait until only this process and
  // procfs are left (procfs has read every request by now, so no handle to
  // a victim is left in its queue) (generously: a loaded host is slow, a hang is not).
  uint64_t pids[64];
  size_t n = 0;
  uint64_t start = keel::clock_ms();
  for (;;) {
    int64_t r = keel::process_list(dir, pids, 64, &n);
    if (r < 0 && r != ERR_BUFFER_TOO_SMALL) break;
    if (n <= 2 || keel::clock_ms() - start > keel::PATIENCE_MS) break;
    keel::sleep_ms(20);
  }
  if (n > 2) {
    keel::printf("fuzzer: FAIL: %zu processes still alive after the workers\n", n - 2);
    failures++;
  }

  int64_t ignored;
  keel::process_kill(procfs);
  keel::process_wait(procfs, &ignored, KEEL_TIMEOUT_INFINITE);
  keel::handle_close(client);
  keel::handle_close(server);
  for (uint64_t i = 0; i < nworkers; i++) {
    keel::handle_close(ra[i]);
    keel::handle_close(rb[i]);
  }
  keel::printf("fuzzer: %lu calls made by %lu workers (seed %lu), %d failures\n", made, nworkers,
               seed, failures);
  keel::flush();
  return failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "run") == 0) return parent(argc, argv);
  if (argc > 1 && strcmp(argv[1], "w") == 0) return worker(argc, argv);
  if (argc > 1 && strcmp(argv[1], "v") == 0) return victim(argc, argv);
  return 0;  // anything else (random argv from a worker): nothing to do
}
