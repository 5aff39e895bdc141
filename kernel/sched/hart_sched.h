// Per-hart scheduler state (sched.cpp owns it; it is here so that the
// accessors on the syscall and trap return paths inline).
#pragma once
#include <arch/cpu.h>
#include <arch/spinlock.h>
#include <libk/atomic.h>
#include <libk/list.h>
#include <libk/owning_list.h>

#include "sched/task.h"

namespace sched {

constexpr uint64_t TIME_SLICE_TICKS = 2;

struct HartSched {
  // Guards everything below (current: see there); handed across switches.
  RawSpinlock lock{LockRank::Hart, "hart"};
  libk::OwningList<Task, &Task::sched_node> ready;         // owns each Ready task's reference
  libk::IntrusiveList<Task, &Task::timer_node> deadlines;  // sorted; does not own
  // Owns the Running task's reference (except idle's). Written only by
  // this hart; the IPC hand-over (sched::hand_over) changes it without the
  // lock, from one task that is not idle to another, so other harts read it
  // atomically, and only to ask whether it is idle, or for the audit.
  Task* current = nullptr;
  Task* idle = nullptr;          // owns the idle task's reference, for ever
  Task* dead = nullptr;          // owns the reference of the task that just died
  Task* switched_out = nullptr;  // the task being switched away from (on_cpu until saved)
  uint64_t ticks = 0;            // under lock; sched::ticks() reads it racily
  uint64_t slice = TIME_SLICE_TICKS;
  bool need_resched = false;
  uint64_t switches = 0;
  // Read by other harts without the lock, to place and steal work (hints:
  // the lock decides): run queue length, and whether a task other than idle runs.
  libk::Atomic<uint32_t> nready;
  libk::Atomic<bool> busy;
  libk::Atomic<bool> online;  // set once its idle task exists; never cleared
  uint64_t steals = 0;        // tasks this hart took from others' run queues
};

extern HartSched harts[arch::MAX_CPUS];

// One load from the Cpu (tp): the IPC fast path asks several times per call.
inline HartSched& this_hart() { return *static_cast<HartSched*>(arch::this_cpu()->sched_hart); }

}  // namespace sched
