// OwningList: the run-queue / wait-queue ownership logic, on the host.
// A reference moves in and out; it is never copied; a task shuttled between
// queues any number of times keeps the same count.
#include <doctest/doctest.h>
#include <libk/owning_list.h>

#include <vector>

namespace {
int freed = 0;

struct FakeTask : libk::RefCounted<FakeTask> {
  int id = 0;
  uint64_t deadline = 0;
  libk::ListNode node;
  void on_last_unref() {
    freed++;
    delete this;
  }
};
using Queue = libk::OwningList<FakeTask, &FakeTask::node>;

libk::RefPtr<FakeTask> make(int id, uint64_t deadline = 0) {
  auto* t = new FakeTask;
  t->id = id;
  t->deadline = deadline;
  return libk::adopt(t);
}
}  // namespace

TEST_CASE("push moves the reference in, pop moves it out") {
  freed = 0;
  Queue q;
  auto t = make(1);
  FakeTask* raw = t.get();
  libk::RefPtr<FakeTask> mine = t;  // an outside observer
  CHECK(raw->ref_count() == 2);
  q.push_back(std::move(t));
  CHECK(!t);
  CHECK(raw->ref_count() == 2);  // moved, not copied
  CHECK(q.size() == 1);
  CHECK(q.contains(*raw));
  auto back = q.pop_front();
  CHECK(back.get() == raw);
  CHECK(raw->ref_count() == 2);
  CHECK(q.empty());
  back.reset();
  mine.reset();
  CHECK(freed == 1);
}

TEST_CASE("a task shuttled between run queue and wait queue a million times keeps its count") {
  freed = 0;
  Queue run_queue, wait_queue;
  auto t = make(7);
  FakeTask* raw = t.get();
  libk::RefPtr<FakeTask> observer = t;
  run_queue.push_back(std::move(t));
  for (int i = 0; i < 1000000; i++) {
    auto running = run_queue.pop_front();  // run queue -> current slot
    REQUIRE(running.get() == raw);
    wait_queue.push_back(std::move(running));  // current -> wait queue (park)
    auto woken = wait_queue.remove(*raw);      // wait queue -> waker
    run_queue.push_back(std::move(woken));     // waker -> run queue
  }
  CHECK(raw->ref_count() == 2);
  run_queue.drain();
  CHECK(raw->ref_count() == 1);
  observer.reset();
  CHECK(freed == 1);
}

TEST_CASE("remove from the middle keeps the rest intact and in order") {
  freed = 0;
  Queue q;
  std::vector<FakeTask*> raw;
  for (int i = 0; i < 5; i++) {
    auto t = make(i);
    raw.push_back(t.get());
    q.push_back(std::move(t));
  }
  auto mid = q.remove(*raw[2]);
  CHECK(mid->id == 2);
  CHECK(!mid->node.linked());
  mid.reset();
  CHECK(freed == 1);
  std::vector<int> order;
  while (auto t = q.pop_front()) order.push_back(t->id);
  CHECK(order == std::vector<int>{0, 1, 3, 4});
  CHECK(freed == 5);
}

TEST_CASE("insert_sorted orders by deadline, stable for equal keys") {
  freed = 0;
  Queue q;
  auto by_deadline = [](const FakeTask& a, const FakeTask& b) { return a.deadline < b.deadline; };
  int ids[] = {0, 1, 2, 3, 4, 5};
  uint64_t deadlines[] = {50, 10, 30, 10, 99, 30};
  for (int i = 0; i < 6; i++) q.insert_sorted(make(ids[i], deadlines[i]), by_deadline);
  std::vector<int> order;
  while (auto t = q.pop_front()) order.push_back(t->id);
  CHECK(order == std::vector<int>{1, 3, 2, 5, 0, 4});
  CHECK(freed == 6);
}

TEST_CASE("drain releases exactly the references the list holds") {
  freed = 0;
  {
    Queue q;
    libk::RefPtr<FakeTask> kept = make(1);
    q.push_back(libk::RefPtr<FakeTask>(kept));  // a deliberate second reference
    q.push_back(make(2));
    q.drain();
    CHECK(freed == 1);  // task 2 had only the queue's reference
    CHECK(kept->ref_count() == 1);
  }
  CHECK(freed == 2);
}
