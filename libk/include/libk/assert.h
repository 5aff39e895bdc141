// LIBK_ASSERT: a check that stays on in every build.
//
// libk cannot abort, print or unwind by itself: it runs in the kernel, in user
// programs and in host tests. A failed check therefore calls one hook,
// libk_assert_fail(), that each environment defines exactly once (the kernel
// panics, the host tests print and abort()). The hook never returns, so code
// after a failed check is never reached with a broken invariant.
//
// The checks guard invariants whose violation would corrupt memory silently
// (double list insertion, reference over-release, out-of-range bit index);
// each costs one well-predicted branch, which is why they are never compiled
// out.
#pragma once

[[noreturn]] void libk_assert_fail(const char* expr, const char* file, int line);

#define LIBK_ASSERT(cond)                                                 \
  (__builtin_expect(static_cast<bool>(cond), true) ? static_cast<void>(0) \
                                                   : libk_assert_fail(#cond, __FILE__, __LINE__))
