#include "status_words.h"

#include <keel/status.h>
#include <keel/syscall.h>
#include <libk/format.h>

namespace shell {
namespace {
// The kernel's exit statuses for a process it ended (abi/keel/syscall.h).
constexpr int64_t EXIT_KILLED = KEEL_EXIT_KILLED;
constexpr int64_t EXIT_FAULT = KEEL_EXIT_FAULT;
}  // namespace

const char* exit_words(int64_t status, char* buf, size_t cap) {
  if (status == EXIT_KILLED)
    libk::format(buf, cap, "killed");
  else if (status == EXIT_FAULT)
    libk::format(buf, cap, "fault");
  else
    libk::format(buf, cap, "exit %ld", status);
  return buf;
}

const char* error_phrase(int64_t status, Subject subject) {
  switch (status) {
    case KEEL_OK:
      return "success";
    case ERR_BAD_HANDLE:
      return subject == Subject::Service ? "not connected" : "no such handle";
    case ERR_REVOKED:
      return "it no longer exists";
    case ERR_ACCESS_DENIED:
      return "permission denied";
    case ERR_WRONG_TYPE:
      return "the wrong kind of object";
    case ERR_INVALID_ARGS:
      return subject == Subject::File        ? "is a directory"
             : subject == Subject::Directory ? "not a directory"
                                             : "invalid argument";
    case ERR_NO_MEMORY:
      return subject == Subject::Program ? "out of memory (or over the job's quota)"
                                         : "out of memory";
    case ERR_PEER_CLOSED:
      return subject == Subject::Service ? "the server has gone away" : "the other end is closed";
    case ERR_SHOULD_WAIT:
      return "not ready yet";
    case ERR_TIMED_OUT:
      return "timed out";
    case ERR_NOT_FOUND:
      return subject == Subject::Program ? "no such program"
             : subject == Subject::File || subject == Subject::Directory
                 ? "no such file or directory"
             : subject == Subject::Process ? "no such process"
                                           : "not found";
    case ERR_OUT_OF_RANGE:
      return subject == Subject::Program ? "arguments too long" : "out of range";
    case ERR_CORRUPT:
      return subject == Subject::Program ? "not a valid program" : "malformed data";
    case ERR_BAD_STATE:
      return "not possible in its current state";
    case ERR_UNSUPPORTED:
      return "not supported";
    case ERR_BUFFER_TOO_SMALL:
      return "too large";
    case ERR_ALREADY_EXISTS:
      return "already exists";
    case ERR_INTERRUPTED:
      return "interrupted";
  }
  return "unexpected error";
}

}  // namespace shell
