// Quota: hierarchical limits, all-or-nothing charges, counts back to zero.
#include <doctest/doctest.h>
#include <libk/quota.h>

#include <atomic>
#include <thread>
#include <vector>

using libk::Quota;

namespace {
constexpr uint64_t NONE[Quota::COUNT] = {0, 0, 0};
}

TEST_CASE("a charge within every limit is made at each level") {
  Quota root(nullptr, NONE);
  Quota job(&root, {10, 0, 0});
  CHECK(job.charge(Quota::Processes, 4));
  CHECK(job.used(Quota::Processes) == 4);
  CHECK(root.used(Quota::Processes) == 4);
  job.uncharge(Quota::Processes, 4);
  CHECK(job.used(Quota::Processes) == 0);
  CHECK(root.used(Quota::Processes) == 0);
}

TEST_CASE("a charge over a limit changes nothing, at any level") {
  Quota root(nullptr, {0, 0, 100});
  Quota mid(&root, {0, 0, 50});
  Quota leaf(&mid, {0, 0, 0});  // no limit of its own: mid's applies
  CHECK(leaf.charge(Quota::Frames, 50));
  CHECK_FALSE(leaf.charge(Quota::Frames, 1));
  CHECK(leaf.used(Quota::Frames) == 50);
  CHECK(mid.used(Quota::Frames) == 50);
  CHECK(root.used(Quota::Frames) == 50);
  // A sibling subtree is limited only by the root: it gets the other 50.
  Quota other(&root, {0, 0, 1000});
  CHECK(other.charge(Quota::Frames, 50));
  CHECK_FALSE(other.charge(Quota::Frames, 1));  // refused at the root, undone at `other`
  CHECK(other.used(Quota::Frames) == 50);
  CHECK(root.used(Quota::Frames) == 100);
  leaf.uncharge(Quota::Frames, 50);
  other.uncharge(Quota::Frames, 50);
  CHECK(root.used(Quota::Frames) == 0);
}

TEST_CASE("a huge charge cannot wrap a count past its limit") {
  Quota q(nullptr, {0, 10, 0});
  CHECK(q.charge(Quota::Handles, 5));
  CHECK_FALSE(q.charge(Quota::Handles, UINT64_MAX));
  CHECK_FALSE(q.charge(Quota::Handles, UINT64_MAX - 2));
  CHECK(q.used(Quota::Handles) == 5);
  Quota unlimited(nullptr, NONE);
  CHECK(unlimited.charge(Quota::Handles, UINT64_MAX - 1));
  CHECK_FALSE(unlimited.charge(Quota::Handles, 2));
}

TEST_CASE("charges from many threads never overshoot a limit") {
  Quota root(nullptr, {1000, 0, 0});
  Quota a(&root, NONE), b(&root, NONE);
  std::vector<std::thread> threads;
  std::atomic<int> granted{0};
  for (int t = 0; t < 8; t++)
    threads.emplace_back([&, t] {
      Quota& q = t % 2 ? a : b;
      for (int i = 0; i < 10000; i++)
        if (q.charge(Quota::Processes, 1)) {
          granted++;
          if (i % 3 == 0) {
            q.uncharge(Quota::Processes, 1);
            granted--;
          }
        }
    });
  for (auto& t : threads) t.join();
  CHECK(granted.load() == static_cast<int>(root.used(Quota::Processes)));
  CHECK(root.used(Quota::Processes) <= 1000);
  CHECK(root.used(Quota::Processes) >= 990);  // 80,000 tries fill it; a few were given back last
  CHECK(a.used(Quota::Processes) + b.used(Quota::Processes) == 1000);
}
