// CHECK_LIBK_ASSERT("expr", statements...): checks that running the
// statements fails a LIBK_ASSERT whose expression text contains "expr".
// (The statements come last so that commas in them need no parentheses.)
//
// The host's libk_assert_fail() prints and aborts (see doctest_main.cpp), so
// the statement runs in a forked child: the child's stderr is captured and
// its death by SIGABRT is the expected outcome. A statement that returns
// normally, or dies another way, fails the check.
#pragma once
#include <doctest/doctest.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace test {

struct ChildOutcome {
  bool aborted = false;
  std::string stderr_text;
};

template <typename F>
ChildOutcome run_in_child(F&& fn) {
  ChildOutcome out;
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // doctest's own SIGABRT handler would report a crash of the whole run.
    signal(SIGABRT, SIG_DFL);
    close(fds[0]);
    dup2(fds[1], STDERR_FILENO);
    fn();
    _exit(0);
  }
  close(fds[1]);
  char buf[512];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0)
    out.stderr_text.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  out.aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
  return out;
}

}  // namespace test

#define CHECK_LIBK_ASSERT(expr_text, ...)                                           \
  do {                                                                              \
    ::test::ChildOutcome outcome_ = ::test::run_in_child([&] { __VA_ARGS__; });     \
    INFO("child stderr: " << outcome_.stderr_text);                                 \
    CHECK(outcome_.aborted);                                                        \
    CHECK(outcome_.stderr_text.find("libk assertion failed") != std::string::npos); \
    CHECK(outcome_.stderr_text.find(expr_text) != std::string::npos);               \
  } while (0)
