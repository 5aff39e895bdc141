// TAP output for user test programs: plan, ok/not ok, diagnostics, and a
// kstat baseline check that names every counter that drifted.
#pragma once
#include "keel.h"

namespace tap {

void plan(int n);
// Record one check; returns ok so callers can chain.
bool ok(bool cond, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
bool expect_status(int64_t got, int64_t want, const char* what);
void diag(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// Snapshot kstat / compare every counter with the snapshot.
void baseline(keel::KstatSnapshot& s);
bool at_baseline(const keel::KstatSnapshot& base, const char* what);
// How many counters differ from the snapshot (each named in a diagnostic),
// without recording a check.
size_t drift(const keel::KstatSnapshot& base, const char* what);
// Exit status for the whole run: 0 when every check passed.
int done();

}  // namespace tap
