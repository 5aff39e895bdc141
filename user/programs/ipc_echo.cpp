// ipc-echo: a channel echo pair. Run with no handle it is the client: it
// spawns itself as the server with one end of a channel, sends N messages
// (argv[1], default 10) with register IPC, checks every echo, closes, waits
// for the server and exits 0 only if everything matched. As the server (started with one
// handle), it echoes every message until the peer closes.
#include <libk/format.h>
#include <libk/string.h>

#include "keel.h"

namespace {
// Echoes bytes and handles: the handles travel back to the sender. Short
// messages without handles take register IPC (reply and wait for the next
// request in one syscall, the kernel's fast path); anything else is read
// and echoed through the general calls.
int serve(keel_handle_t ch) {
  static char in[KEEL_CHANNEL_MAX_BYTES];
  keel_handle_t hin[KEEL_CHANNEL_MAX_HANDLES];
  keel::IpcMessage m{};
  m.bytes = KEEL_IPC_NO_REPLY;
  for (;;) {
    int64_t r = keel::ipc_reply_wait(ch, m, KEEL_TIMEOUT_INFINITE);
    if (r == KEEL_OK) continue;  // m holds the request: echo it back next time round
    if (r == ERR_PEER_CLOSED) return 0;
    if (r != ERR_BUFFER_TOO_SMALL) return 2;
    size_t n = 0, nh = 0;
    r = keel::read_message(ch, in, sizeof(in), &n, hin, KEEL_CHANNEL_MAX_HANDLES, &nh);
    if (r == ERR_PEER_CLOSED) return 0;
    if (r < 0) return 3;
    r = keel::channel_write(ch, in, n, hin, nh);
    if (r == ERR_PEER_CLOSED) return 0;
    if (r < 0) return 4;
    m.bytes = KEEL_IPC_NO_REPLY;
  }
}

int client(int rounds) {
  keel_handle_t mine, theirs, server;
  if (keel::channel_create(&mine, &theirs) < 0) return 10;
  if (keel::spawn("ipc-echo", nullptr, 0, &theirs, 1, &server) < 0) return 11;
  int bad = 0;
  for (int i = 0; i < rounds; i++) {
    // Register IPC (the fast path): a dead server shows as ERR_PEER_CLOSED,
    // so waiting without a bound cannot hang.
    keel::IpcMessage m{};
    size_t len = libk::format(reinterpret_cast<char*>(m.w), sizeof(m.w), "echo #%d", i);
    char sent[KEEL_IPC_MAX_BYTES];
    memcpy(sent, m.w, sizeof(sent));
    m.bytes = len;
    if (keel::ipc_call(mine, m, KEEL_TIMEOUT_INFINITE) < 0 || m.bytes != len ||
        memcmp(sent, m.w, len) != 0)
      bad++;
  }
  keel::handle_close(mine);
  int64_t code = -1;
  if (keel::process_wait(server, &code, keel::PATIENCE_MS) < 0) return 12;
  keel::printf("ipc-echo: %d round trips, %d bad, server exit %ld\n", rounds, bad, code);
  return bad == 0 && code == 0 ? 0 : 13;
}
}  // namespace

int main(int argc, char** argv) {
  if (keel::startup_handle_count() == 1) return serve(keel::startup_handle(0));
  int rounds = 10;
  if (argc > 1) {
    rounds = 0;
    for (const char* s = argv[1]; *s >= '0' && *s <= '9'; s++) rounds = rounds * 10 + (*s - '0');
  }
  return client(rounds);
}
