#include "job.h"

#include <arch/memlayout.h>

#include "lib/panic.h"
#include "object/process.h"

namespace {
Spinlock tree_lock{LockRank::JobTree, "job tree"};
TypedCache<Job> job_cache("job");
TypedCache<JobObject> job_object_cache("job_object");
Job* the_root = nullptr;

constexpr uint64_t NO_LIMITS[libk::Quota::COUNT] = {0, 0, 0, 0};

// Every wait_empty() waits here, and its lock guards the releases in
// progress: a release wakes them all when it ends, touching no job (the
// jobs it names may be gone by then).
WaitQueue empty_waiters;
libk::IntrusiveList<Job::Release, &Job::Release::node> releasing;

bool being_released(const Job* j) {
  for (Job::Release& r : releasing)
    if (r.covers(j)) return true;
  return false;
}
}  // namespace

Job::Release::Release(Job& job) {
  for (const Job* j = &job; j && n_ < KEEL_JOB_MAX_DEPTH; j = j->parent_.get()) path_[n_++] = j;
  SpinGuard g(empty_waiters.lock());
  releasing.push_back(*this);
}

Job::Release::~Release() {
  SpinGuard g(empty_waiters.lock());
  releasing.remove(*this);
  empty_waiters.wake_all_locked();
}

bool Job::Release::covers(const Job* j) const {
  for (unsigned i = 0; i < n_; i++)
    if (path_[i] == j) return true;
  return false;
}

Job::Job(Job* parent, const uint64_t (&limits)[libk::Quota::COUNT])
    : koid_(new_koid()),
      parent_(parent),
      depth_(parent ? parent->depth_ + 1 : 1),
      quota_(parent ? &parent->quota_ : nullptr, limits) {}

Job::~Job() {
  KASSERT(children_.empty() && processes_.empty());
  for (unsigned r = 0; r < libk::Quota::COUNT; r++)
    KASSERT(quota_.used(static_cast<libk::Quota::Resource>(r)) == 0);
}

Job& Job::root() {
  if (!the_root) {  // first called at boot, before any other hart runs
    auto j = job_cache.create(nullptr, NO_LIMITS);
    if (j.is_error()) panic("no memory for the root job");
    the_root = j.value();  // the creation reference is the root's own: never freed
  }
  return *the_root;
}

libk::Result<RefPtr<Job>> Job::create_child(Job& parent, const keel_job_limits& l) {
  if (parent.depth_ >= KEEL_JOB_MAX_DEPTH) return libk::err(ERR_OUT_OF_RANGE);
  // max_frames bounds the memory a job takes, its own and the kernel's on its
  // behalf: as many frames' worth of bytes again may wait in its messages.
  uint64_t message_bytes =
      l.max_frames > UINT64_MAX / arch::PAGE_SIZE ? UINT64_MAX : l.max_frames * arch::PAGE_SIZE;
  const uint64_t limits[libk::Quota::COUNT] = {l.max_processes, l.max_handles, l.max_frames,
                                               message_bytes};
  RefPtr<Job> j = libk::adopt(TRY(job_cache.create(&parent, limits)));
  SpinGuard g(tree_lock);
  if (parent.killed_) return libk::err(ERR_BAD_STATE);  // j goes after the lock, never a child
  parent.children_.push_back(*j);
  return j;
}

void Job::on_last_unref() {
  KASSERT(this != the_root);
  {
    SpinGuard g(tree_lock);
    if (sibling_node_.linked()) parent_->children_.remove(*this);
  }
  // ~Job drops the parent's record (maybe its last: that one unlinks the
  // same way, with the lock free again).
  job_cache.destroy(this);
}

bool Job::killed() const {
  SpinGuard g(tree_lock);
  return killed_;
}

bool Job::contains(const Job& j) const {
  for (const Job* at = &j; at; at = at->parent_.get())  // parents never change
    if (at == this) return true;
  return false;
}

libk::Result<void> Job::add(JobMember& p) {
  SpinGuard g(tree_lock);
  if (killed_) return libk::err(ERR_BAD_STATE);
  if (!quota_.charge(libk::Quota::Processes, 1)) return libk::err(ERR_NO_MEMORY);
  processes_.push_back(p);
  return libk::ok();
}

void Job::remove(JobMember& p) {
  if (leave(p)) released();
}

bool Job::leave(JobMember& p) {
  SpinGuard g(tree_lock);
  if (!p.job_node.linked()) return false;
  processes_.remove(p);
  return true;
}

void Job::released() { quota_.uncharge(libk::Quota::Processes, 1); }

// Depth first through the subtree without recursion: children first, then
// the next sibling, climbing back up until the subtree's root.
void Job::kill() {
  SpinGuard g(tree_lock);
  Job* j = this;
  for (;;) {
    j->killed_ = true;
    for (JobMember& m : j->processes_) static_cast<Process&>(m).kill(KEEL_EXIT_KILLED);
    if (Job* child = j->children_.front()) {
      j = child;
      continue;
    }
    while (j != this && !j->parent_->children_.next(*j)) j = j->parent_.get();
    if (j == this) return;
    j = j->parent_->children_.next(*j);
  }
}

libk::Result<void> Job::wait_empty(Deadline deadline) {
  SpinGuard g(empty_waiters.lock());
  while (quota_.used(libk::Quota::Processes) != 0 || being_released(this))
    TRY(empty_waiters.block_locked(deadline));
  return libk::ok();
}

void Job::path(uint64_t* out) const {
  unsigned i = 0;
  for (const Job* j = this; j && i < KEEL_JOB_MAX_DEPTH; j = j->parent_.get()) out[i++] = j->koid_;
  for (; i < KEEL_JOB_MAX_DEPTH; i++) out[i] = 0;
}

void Job::fill_info(keel_object_info& info) {
  info.type = KEEL_OBJ_JOB;
  info.koid = koid_;
  info.related_koid = parent_ ? parent_->koid_ : 0;
  info.state = killed() ? KEEL_STATE_EXITED : KEEL_STATE_RUNNING;
  info.tasks = quota_.used(libk::Quota::Processes);
  info.handles = quota_.used(libk::Quota::Handles);
  info.pages = quota_.used(libk::Quota::Frames);
  path(info.job_path);
}

JobObject::JobObject(RefPtr<Job> job) : Object(ObjectType::Job), job_(std::move(job)) {}

libk::Result<RefPtr<JobObject>> JobObject::create(RefPtr<Job> job) {
  return libk::adopt(TRY(job_object_cache.create(std::move(job))));
}

// The last capability to stop the job is gone (its last handle, whatever
// momentary references other tasks' syscalls hold): so is everything in it.
void JobObject::on_zero_handles() { job_->kill(); }

void JobObject::destroy() { job_object_cache.destroy(this); }
