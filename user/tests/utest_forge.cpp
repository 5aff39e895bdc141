// Message bytes shaped like kernel allocator metadata must be just bytes.
//
// An earlier kernel found the slab an object belonged to by probing the
// page-aligned blocks around it for a header (magic, cache pointer, order)
// and trusting what it found. Message payloads are user bytes, and a large
// payload is a kernel block of its own, so a payload that imitated a header
// at the right offset panicked the kernel or, with a real cache address,
// made a free fail silently (a lost frame) or walk forged list pointers.
//
// For every payload size class, for every 8-byte offset, this writes
// messages whose bytes are forged headers (the old slab magic, the kernel
// addresses of real caches taken from the build and passed as arguments,
// plausible list pointers) repeating from that offset, many queued at once
// so neighbouring blocks hold them, reads them back, checks they arrived
// intact, and requires every kstat counter back at its baseline.
#include <libk/format.h>
#include <libk/string.h>

#include "common.h"

namespace {
constexpr uint64_t OLD_SLAB_MAGIC = 0x51ab51ab;
constexpr size_t HEADER_PERIOD = 112;  // the old header's size: a new forgery every 112 bytes
constexpr size_t BATCH = 64;           // messages queued at once (the limit is 256)

uint64_t addresses[64];
size_t address_count;

uint64_t parse_hex(const char* s, bool* ok) {
  uint64_t v = 0;
  *ok = *s != 0;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2;
  for (; *s; s++) {
    char c = *s;
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) *ok = false;
    v = v * 16 + static_cast<uint64_t>(d < 0 ? 0 : d);
  }
  return v;
}

// The payload for (size, offset, variant): forged headers every
// HEADER_PERIOD bytes from `offset`, the magic word everywhere before it.
void forge(uint8_t* buf, size_t size, size_t offset, size_t variant) {
  auto put = [&](size_t at, uint64_t v) {
    if (at + 8 <= size) memcpy(buf + at, &v, 8);
  };
  for (size_t at = 0; at + 8 <= offset; at += 8) put(at, OLD_SLAB_MAGIC | (OLD_SLAB_MAGIC << 32));
  for (size_t h = offset; h < size; h += HEADER_PERIOD) {
    uint64_t cache = addresses[(variant + h / HEADER_PERIOD) % address_count];
    put(h + 0, OLD_SLAB_MAGIC | (uint64_t{1} << 32));                         // magic, in_use
    put(h + 8, cache);                                                        // cache
    put(h + 16, cache + 16);                                                  // prev
    put(h + 24, cache + 32);                                                  // next
    put(h + 32, cache);                                                       // free list
    put(h + 40, 0);                                                           // fresh
    for (size_t w = 48; w < HEADER_PERIOD; w += 8) put(h + w, ~uint64_t{0});  // live bitmap
  }
  if (size % 8) memset(buf + size - size % 8, 0x41, size % 8);
}

uint8_t sent[BATCH][KEEL_CHANNEL_MAX_BYTES];
uint8_t got[KEEL_CHANNEL_MAX_BYTES];
}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc && address_count < 64; i++) {
    bool ok;
    uint64_t a = parse_hex(argv[i], &ok);
    if (ok) addresses[address_count++] = a;
  }
  const size_t sizes[] = {129,  200,  255,  256,  257,  500,  512,  513,  1000, 1024,
                          1025, 2000, 2047, 2048, 2049, 3000, 4000, 4095, 4096};
  constexpr size_t NSIZES = sizeof(sizes) / sizeof(sizes[0]);
  tap::plan(static_cast<int>(1 + 2 * NSIZES));
  tap::ok(address_count > 0, "%zu kernel cache addresses from the build", address_count);
  if (address_count == 0) return tap::done();

  keel_handle_t a, b;
  if (keel::channel_create(&a, &b) != KEEL_OK) return 1;
  keel::KstatSnapshot base;
  tap::baseline(base);
  size_t total = 0;
  for (size_t size : sizes) {
    size_t bad = 0, failed = 0, messages = 0;
    size_t queued = 0;
    auto drain = [&] {
      for (size_t i = 0; i < queued; i++) {
        size_t n = 0;
        if (keel::read_message(b, got, sizeof(got), &n, nullptr, 0, nullptr, 0) != KEEL_OK) {
          failed++;
          continue;
        }
        if (n != size || memcmp(got, sent[i], size) != 0) bad++;
      }
      queued = 0;
    };
    for (size_t offset = 0; offset < size; offset += 8) {
      forge(sent[queued], size, offset, offset / 8);
      if (keel::channel_write(a, sent[queued], size) != KEEL_OK)
        failed++;
      else
        queued++;
      messages++;
      if (queued == BATCH) drain();
    }
    drain();
    total += messages;
    tap::ok(bad == 0 && failed == 0,
            "%zu-byte payloads: %zu messages, forged headers at every 8-byte offset, "
            "all delivered intact (%zu bad, %zu failed)",
            size, messages, bad, failed);
    tap::at_baseline(base, "forged payloads");
  }
  tap::diag("%zu messages in all", total);
  keel::handle_close(a);
  keel::handle_close(b);
  return tap::done();
}
