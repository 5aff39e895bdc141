// bench: instructions (rdinstret, exact under QEMU -icount shift=0) and
// nanoseconds (rdtime) per operation, for the operations Keel promises to
// make cheap. Run by init in the shell's place (init=init initargs=bench) so
// that procfs is there; startup handle 0 is a procfs client endpoint.
// Prints one line per benchmark: "bench <name> instructions=<n> ns=<n>".
#include <libk/format.h>
#include <libk/string.h>
#include <procfs/protocol.h>

#include "keel.h"

namespace {
inline uint64_t instret() {
  uint64_t v;
  asm volatile("rdinstret %0" : "=r"(v));
  return v;
}
inline uint64_t time_ns() {
  uint64_t v;
  asm volatile("rdtime %0" : "=r"(v));
  return v * 100;  // QEMU virt's timebase is 10 MHz
}

struct Sample {
  uint64_t instructions, ns;
};

template <typename F>
Sample measure(uint64_t iterations, F&& op) {
  op();  // warm up (heap, page tables, caches)
  uint64_t t0 = time_ns(), i0 = instret();
  for (uint64_t i = 0; i < iterations; i++) op();
  uint64_t i1 = instret(), t1 = time_ns();
  return Sample{(i1 - i0) / iterations, (t1 - t0) / iterations};
}

const char* only = nullptr;  // argv[1]: run only the benchmark of that name

bool wanted(const char* name) { return !only || libk::StringView(name) == libk::StringView(only); }

void report(const char* name, Sample s) {
  keel::printf("bench %s instructions=%lu ns=%lu\n", name, s.instructions, s.ns);
}

keel_handle_t echo_server(keel_handle_t* client) {
  keel_handle_t server_end, p;
  keel::channel_create(client, &server_end);
  keel::spawn("ipc-echo", nullptr, 0, &server_end, 1, &p);
  return p;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) only = argv[1];
  keel_handle_t procfs_service = keel::startup_handle(0);

  if (wanted("null_syscall")) report("null_syscall", measure(20000, [] { keel::sys_null(); }));
  if (wanted("loop_overhead")) report("loop_overhead", measure(20000, [] { asm volatile(""); }));
  {
    keel_handle_t x, y;
    keel::channel_create(&x, &y);
    char m[16] = "0123456789abcde", r[16];
    if (wanted("write_read_same_process"))
      report("write_read_same_process", measure(5000, [&] {
               keel::channel_write(x, m, 16);
               size_t n;
               keel::read_message(y, r, 16, &n, nullptr, 0, nullptr, 0);
             }));
    keel::handle_close(x);
    keel::handle_close(y);
  }

  keel_handle_t a, b;
  keel::channel_create(&a, &b);
  if (wanted("handle_dup_close"))
    report("handle_dup_close", measure(5000, [&] {
             keel_handle_t d;
             keel::handle_duplicate(a, KEEL_RIGHTS_SAME, &d);
             keel::handle_close(d);
           }));
  keel::handle_close(a);
  keel::handle_close(b);

  keel_handle_t client;
  keel_handle_t server = echo_server(&client);
  char msg[16] = "0123456789abcde", reply[16];
  keel_channel_call_args call{};
  call.wr_bytes = msg;
  call.wr_num_bytes = 16;
  call.rd_bytes = reply;
  call.rd_bytes_cap = sizeof(reply);
  call.timeout_ms = KEEL_TIMEOUT_INFINITE;
  // The fast path: register IPC both ways (the echo server waits in
  // ipc_reply_wait), and the general call with its argument block.
  keel::IpcMessage im{};
  memcpy(im.w, msg, 16);
  if (wanted("ipc_call_roundtrip"))
    report("ipc_call_roundtrip", measure(5000, [&] {
             im.bytes = 16;
             keel::ipc_call(client, im, KEEL_TIMEOUT_INFINITE);
           }));
  if (wanted("ipc_call_roundtrip_args"))
    report("ipc_call_roundtrip_args", measure(5000, [&] { keel::channel_call(client, &call); }));

  // The same round trip with two spinning processes ready on this hart (the
  // bench runs on one): every instruction the hart retires between start
  // and end counts, theirs included. The window starts at the start of a
  // time slice (the yield lets each spinner run its slice first) and is
  // shorter than one slice, so it shows whether a round trip waits behind
  // the spinners, not how a hart is shared over many slices (README).
  if (wanted("ipc_call_contended")) {
    keel_handle_t spinners[2];
    for (auto& h : spinners) keel::spawn("spin", nullptr, 0, nullptr, 0, &h);
    keel::yield();
    report("ipc_call_contended", measure(1000, [&] {
             im.bytes = 16;
             keel::ipc_call(client, im, KEEL_TIMEOUT_INFINITE);
           }));
    // And over many slices: the pair shares the hart with the spinners.
    report("ipc_call_contended_long", measure(100000, [&] {
             im.bytes = 16;
             keel::ipc_call(client, im, KEEL_TIMEOUT_INFINITE);
           }));
    for (auto& h : spinners) {
      int64_t c;
      keel::process_kill(h);
      keel::process_wait(h, &c, KEEL_TIMEOUT_INFINITE);
    }
  }

  // The same with one handle each way: a channel end travels to the server
  // and comes back in the echo.
  keel_handle_t token, token_peer;
  keel::channel_create(&token, &token_peer);
  keel_handle_t received = KEEL_HANDLE_INVALID;
  keel_channel_call_args hcall = call;
  hcall.wr_handles = &token;
  hcall.wr_num_handles = 1;
  hcall.rd_handles = &received;
  hcall.rd_handles_cap = 1;
  if (wanted("ipc_call_handle"))
    report("ipc_call_handle", measure(2000, [&] {
             keel::channel_call(client, &hcall);
             token = received;
           }));
  keel::handle_close(token);
  keel::handle_close(token_peer);
  keel::handle_close(client);
  int64_t code;
  keel::process_wait(server, &code, KEEL_TIMEOUT_INFINITE);

  if (wanted("spawn_exit_wait"))
    report("spawn_exit_wait", measure(200, [] {
             keel_handle_t p;
             int64_t c;
             keel::spawn("exitcode", nullptr, 0, nullptr, 0, &p);
             keel::process_wait(p, &c, KEEL_TIMEOUT_INFINITE);
           }));

  // Flat costs: spawn + exit + wait, and one ls /proc (per entry listed),
  // with N more live processes (sleepers) in the system.
  for (size_t n : {size_t{10}, size_t{100}, size_t{1000}}) {
    char spawn_name[32], ls_name[32];
    libk::format(spawn_name, sizeof(spawn_name), "spawn_exit_wait_%zu", n);
    libk::format(ls_name, sizeof(ls_name), "procfs_ls_%zu", n);
    if (!wanted(spawn_name) && !wanted(ls_name)) continue;
    static keel_handle_t sleepers[1000];
    const char* args[] = {"600000"};
    size_t live = 0;
    while (live < n && keel::spawn("sleeper", args, 1, nullptr, 0, &sleepers[live]) == KEEL_OK)
      live++;
    if (live < n) keel::printf("bench: only %zu of %zu sleepers started\n", live, n);
    if (wanted(spawn_name))
      report(spawn_name, measure(100, [] {
               keel_handle_t p;
               int64_t c;
               keel::spawn("exitcode", nullptr, 0, nullptr, 0, &p);
               keel::process_wait(p, &c, KEEL_TIMEOUT_INFINITE);
             }));
    if (wanted(ls_name)) {
      size_t entries = 0;
      auto count = [](void* ctx, libk::StringView) { ++*static_cast<size_t*>(ctx); };
      procfs::list_each(procfs_service, "/proc", count, &entries);
      Sample s = measure(10, [&] { procfs::list_each(procfs_service, "/proc", count, &entries); });
      size_t per_listing = entries / 11;  // the warm-up and ten measured
      report(ls_name, Sample{s.instructions / (per_listing ? per_listing : 1),
                             s.ns / (per_listing ? per_listing : 1)});
    }
    for (size_t i = 0; i < live; i++) keel::process_kill(sleepers[i]);
    for (size_t i = 0; i < live; i++) {
      int64_t c;
      keel::process_wait(sleepers[i], &c, KEEL_TIMEOUT_INFINITE);
      keel::handle_close(sleepers[i]);
    }
  }

  // One `cat /proc/<pid>/status` round trip, for the first pid procfs
  // lists (init's: it certainly lives for the whole run).
  static char out[procfs::DATA_MAX];
  size_t len;
  procfs::request(procfs_service, procfs::OP_LIST, "/proc", out, sizeof(out), &len);
  uint64_t pid = 0;
  for (size_t i = 0; i < len && out[i] >= '0' && out[i] <= '9'; i++)
    pid = pid * 10 + (out[i] - '0');
  char path[48];
  libk::format(path, sizeof(path), "/proc/%lu/status", pid);
  if (wanted("procfs_status_read"))
    report("procfs_status_read", measure(1000, [&] {
             procfs::request(procfs_service, procfs::OP_READ, path, out, sizeof(out), &len);
           }));
  return 0;
}
