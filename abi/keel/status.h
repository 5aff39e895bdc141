// Status codes: the one error enum of Keel's ABI.
//
// Every syscall returns one of these in a0 (KEEL_OK or a negative error); the
// kernel's Result<T> carries the same values, so an error travels unchanged
// from the place it is detected to the user program that caused it.
#pragma once
#include <stdint.h>

enum keel_status : int32_t {
  KEEL_OK = 0,
  ERR_BAD_HANDLE = -1,         // handle value names no live slot (forged, closed, stale)
  ERR_REVOKED = -2,            // handle was an observer of an object that is gone
  ERR_ACCESS_DENIED = -3,      // handle lacks a needed right
  ERR_WRONG_TYPE = -4,         // handle names an object of another type
  ERR_INVALID_ARGS = -5,       // bad pointer, size, flag or value
  ERR_NO_MEMORY = -6,          // out of frames or heap; nothing was changed
  ERR_PEER_CLOSED = -7,        // other end of a channel is gone
  ERR_SHOULD_WAIT = -8,        // nothing to read yet (non-blocking call)
  ERR_TIMED_OUT = -9,          // deadline passed
  ERR_NOT_FOUND = -10,         // no such name, pid or entry
  ERR_OUT_OF_RANGE = -11,      // index or size beyond a limit
  ERR_CORRUPT = -12,           // malformed input data (DTB, ELF, message)
  ERR_BAD_STATE = -13,         // operation not valid in the object's current state
  ERR_UNSUPPORTED = -14,       // not implemented by this kernel or platform
  ERR_BUFFER_TOO_SMALL = -15,  // output buffer cannot hold the result
  ERR_ALREADY_EXISTS = -16,
  ERR_INTERRUPTED = -17,  // a blocking wait was cancelled
};

// Name of a status for diagnostics, e.g. "ERR_BAD_HANDLE". Never null.
static inline const char* keel_status_name(int32_t s) {
  switch (s) {
    case KEEL_OK:
      return "KEEL_OK";
    case ERR_BAD_HANDLE:
      return "ERR_BAD_HANDLE";
    case ERR_REVOKED:
      return "ERR_REVOKED";
    case ERR_ACCESS_DENIED:
      return "ERR_ACCESS_DENIED";
    case ERR_WRONG_TYPE:
      return "ERR_WRONG_TYPE";
    case ERR_INVALID_ARGS:
      return "ERR_INVALID_ARGS";
    case ERR_NO_MEMORY:
      return "ERR_NO_MEMORY";
    case ERR_PEER_CLOSED:
      return "ERR_PEER_CLOSED";
    case ERR_SHOULD_WAIT:
      return "ERR_SHOULD_WAIT";
    case ERR_TIMED_OUT:
      return "ERR_TIMED_OUT";
    case ERR_NOT_FOUND:
      return "ERR_NOT_FOUND";
    case ERR_OUT_OF_RANGE:
      return "ERR_OUT_OF_RANGE";
    case ERR_CORRUPT:
      return "ERR_CORRUPT";
    case ERR_BAD_STATE:
      return "ERR_BAD_STATE";
    case ERR_UNSUPPORTED:
      return "ERR_UNSUPPORTED";
    case ERR_BUFFER_TOO_SMALL:
      return "ERR_BUFFER_TOO_SMALL";
    case ERR_ALREADY_EXISTS:
      return "ERR_ALREADY_EXISTS";
    case ERR_INTERRUPTED:
      return "ERR_INTERRUPTED";
  }
  return "ERR_UNKNOWN";
}
