// Process start and exit, printing, spawn and message helpers, kstat.
#include <libk/format.h>
#include <libk/string.h>

#include "keel.h"

namespace keel {
namespace {
keel_handle_t* start_handles;
size_t start_handle_count;

char out_buf[512];
size_t out_len;
}  // namespace

void flush() {
  if (out_len) debug_write(out_buf, out_len);
  out_len = 0;
}

static void put(void*, char c) {
  if (out_len == sizeof(out_buf)) flush();
  out_buf[out_len++] = c;
  if (c == '\n') flush();
}

int vprintf(const char* fmt, va_list ap) {
  return static_cast<int>(libk::vformat(put, nullptr, fmt, ap));
}

int printf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vprintf(fmt, ap);
  va_end(ap);
  return n;
}

void puts(const char* s) { printf("%s\n", s); }

void exit(int64_t code) {
  flush();
  syscall6(SYS_EXIT, static_cast<uint64_t>(code));
  for (;;) syscall6(SYS_YIELD);  // the kernel ends us on the way back
}

uint64_t clock_ms() {
  uint64_t ms = 0;
  syscall6(SYS_CLOCK_MS, u(&ms));
  return ms;
}

keel_handle_t startup_handle(size_t i) {
  return i < start_handle_count ? start_handles[i] : KEEL_HANDLE_INVALID;
}
size_t startup_handle_count() { return start_handle_count; }

int64_t spawn(const char* name, const char* const* args, size_t nargs, const keel_handle_t* handles,
              size_t nh, keel_handle_t* out, keel_handle_t job, uint32_t flags) {
  char block[KEEL_SPAWN_MAX_ARGS_BYTES];
  size_t len = 0;
  uint32_t argc = 0;
  auto add = [&](const char* s) {
    size_t n = strlen(s) + 1;
    if (len + n > sizeof(block)) return false;
    memcpy(block + len, s, n);
    len += n;
    argc++;
    return true;
  };
  if (!add(name)) return ERR_OUT_OF_RANGE;
  for (size_t i = 0; i < nargs; i++)
    if (!add(args[i])) return ERR_OUT_OF_RANGE;
  keel_spawn_args a{};
  a.name = name;
  a.name_len = strlen(name);
  a.args = block;
  a.args_len = len;
  a.argc = argc;
  a.handles = handles;
  a.num_handles = nh;
  a.job = job;
  a.flags = flags;
  return process_spawn(&a, out);
}

int64_t read_message(keel_handle_t ch, void* buf, size_t cap, size_t* actual,
                     keel_handle_t* handles, size_t hcap, size_t* hactual, uint64_t timeout_ms) {
  keel_channel_read_args a{};
  a.bytes = buf;
  a.bytes_cap = cap;
  a.handles = handles;
  a.handles_cap = hcap;
  a.timeout_ms = timeout_ms;
  int64_t r = channel_read(ch, &a);
  if (actual) *actual = a.actual_bytes;
  if (hactual) *hactual = a.actual_handles;
  return r;
}

int64_t kstat_snapshot(KstatSnapshot& s) {
  static char text[4096];
  size_t len = 0;
  int64_t r = kstat_read(text, sizeof(text), &len);
  s.count = 0;
  if (r < 0) return r;
  size_t i = 0;
  while (i < len && s.count < KstatSnapshot::MAX) {
    size_t n = 0;
    while (i < len && text[i] != ' ' && n < sizeof(s.names[0]) - 1)
      s.names[s.count][n++] = text[i++];
    s.names[s.count][n] = 0;
    while (i < len && text[i] == ' ') i++;
    bool neg = i < len && text[i] == '-';
    if (neg) i++;
    int64_t v = 0;
    while (i < len && text[i] >= '0' && text[i] <= '9') v = v * 10 + (text[i++] - '0');
    while (i < len && text[i] != '\n') i++;
    i++;
    s.values[s.count++] = neg ? -v : v;
  }
  return 0;
}

bool kstat_leaked(const char* name, int64_t before, int64_t after) {
  return libk::StringView(name).ends_with("_free") ? after < before : after > before;
}

bool kstat_value(const KstatSnapshot& s, const char* name, int64_t* v) {
  for (size_t i = 0; i < s.count; i++) {
    if (libk::str_eq(s.names[i], name)) {
      *v = s.values[i];
      return true;
    }
  }
  return false;
}

}  // namespace keel

extern "C" [[noreturn]] void keel_start(int argc, char** argv, keel_handle_t* handles, size_t n) {
  keel::start_handles = handles;
  keel::start_handle_count = n;
  int code = main(argc, argv);
  keel::exit(code);
}

[[noreturn]] void libk_assert_fail(const char* expr, const char* file, int line) {
  keel::printf("assertion failed: %s (%s:%d)\n", expr, file, line);
  keel::exit(134);
}

extern "C" void keel_thread_entry();

namespace keel {
int64_t thread_start(Thread& t, int64_t (*fn)(void*), void* arg, size_t stack_size) {
  uintptr_t stack = 0;
  int64_t r = vm_alloc(stack_size, KEEL_VM_READ | KEEL_VM_WRITE, &stack);
  if (r != KEEL_OK) return r;
  stack_size = (stack_size + 4095) & ~size_t{4095};
  uintptr_t sp = stack + stack_size - 16;
  reinterpret_cast<uint64_t*>(sp)[0] = reinterpret_cast<uint64_t>(fn);
  reinterpret_cast<uint64_t*>(sp)[1] = reinterpret_cast<uint64_t>(arg);
  keel_handle_t h = KEEL_HANDLE_INVALID;
  r = task_create(reinterpret_cast<uintptr_t>(&keel_thread_entry), sp, sp, &h);
  if (r != KEEL_OK) {
    vm_free(stack, stack_size);
    return r;
  }
  t.handle = h;
  t.stack = stack;
  t.stack_size = stack_size;
  return KEEL_OK;
}

int64_t thread_join(Thread& t, int64_t* code, uint64_t timeout_ms) {
  int64_t r = task_wait(t.handle, code, timeout_ms);
  if (r != KEEL_OK) return r;
  vm_free(t.stack, t.stack_size);
  t = Thread{};
  return KEEL_OK;
}
}  // namespace keel
