// IntrusiveList: order, O(1) size, removal anywhere, one element in two
// lists through two nodes, and detection of double insert/remove.
#include <doctest/doctest.h>
#include <libk/list.h>

#include <deque>
#include <type_traits>
#include <vector>

#include "expect_assert.h"

namespace {

struct Item {
  explicit Item(int v) : value(v) {}
  int value;
  libk::ListNode run_node;  // e.g. a run queue
  libk::ListNode all_node;  // e.g. the list of all tasks
};

using RunList = libk::IntrusiveList<Item, &Item::run_node>;
using AllList = libk::IntrusiveList<Item, &Item::all_node>;

std::vector<int> values(RunList& l) {
  std::vector<int> out;
  for (Item& i : l) out.push_back(i.value);
  return out;
}
std::vector<int> values(AllList& l) {
  std::vector<int> out;
  for (Item& i : l) out.push_back(i.value);
  return out;
}

}  // namespace

static_assert(!std::is_copy_constructible_v<RunList>);
static_assert(!std::is_copy_assignable_v<RunList>);
static_assert(!std::is_move_constructible_v<RunList>);
static_assert(!std::is_copy_constructible_v<libk::ListNode>);

TEST_CASE("empty list") {
  RunList l;
  CHECK(l.empty());
  CHECK(l.size() == 0);
  CHECK(l.front() == nullptr);
  CHECK(l.back() == nullptr);
  CHECK(l.pop_front() == nullptr);
  CHECK(l.pop_back() == nullptr);
  CHECK(l.begin() == l.end());
}

TEST_CASE("push, pop and iteration order") {
  Item a(1), b(2), c(3), d(4);
  RunList l;
  CHECK_FALSE(a.run_node.linked());
  l.push_back(b);
  l.push_back(c);
  l.push_front(a);
  l.push_back(d);
  CHECK(a.run_node.linked());
  CHECK(l.size() == 4);
  CHECK_FALSE(l.empty());
  CHECK(values(l) == std::vector<int>{1, 2, 3, 4});
  CHECK(l.front() == &a);
  CHECK(l.back() == &d);

  CHECK(l.pop_front() == &a);
  CHECK_FALSE(a.run_node.linked());
  CHECK(a.run_node.prev == nullptr);
  CHECK(a.run_node.next == nullptr);
  CHECK(l.pop_back() == &d);
  CHECK(l.size() == 2);
  CHECK(values(l) == std::vector<int>{2, 3});
  CHECK(l.pop_front() == &b);
  CHECK(l.pop_front() == &c);
  CHECK(l.pop_front() == nullptr);
  CHECK(l.empty());
  CHECK(l.size() == 0);
}

TEST_CASE("iteration yields references to the elements") {
  Item a(1), b(2), c(3);
  RunList l;
  l.push_back(a);
  l.push_back(b);
  l.push_back(c);
  for (Item& i : l) i.value *= 10;
  CHECK(a.value == 10);
  CHECK(b.value == 20);
  CHECK(c.value == 30);
  auto it = l.begin();
  CHECK(it->value == 10);
  ++it;
  CHECK((*it).value == 20);
  l.clear();
}

TEST_CASE("remove from head, middle and tail") {
  Item a(1), b(2), c(3), d(4), e(5);
  RunList l;
  for (Item* i : {&a, &b, &c, &d, &e}) l.push_back(*i);

  l.remove(c);
  CHECK_FALSE(c.run_node.linked());
  CHECK(values(l) == std::vector<int>{1, 2, 4, 5});
  l.remove(a);
  CHECK(values(l) == std::vector<int>{2, 4, 5});
  l.remove(e);
  CHECK(values(l) == std::vector<int>{2, 4});
  CHECK(l.size() == 2);
  CHECK(l.front() == &b);
  CHECK(l.back() == &d);
  l.remove(b);
  l.remove(d);
  CHECK(l.empty());
  CHECK(l.size() == 0);

  // Removed nodes can be reinserted.
  l.push_back(c);
  l.push_front(e);
  CHECK(values(l) == std::vector<int>{5, 3});
  l.clear();
  CHECK(l.empty());
  CHECK_FALSE(c.run_node.linked());
  CHECK_FALSE(e.run_node.linked());
}

TEST_CASE("insert_before an element") {
  Item a(1), b(2), c(3), d(4);
  RunList l;
  l.push_back(b);
  l.insert_before(b, a);  // before the head
  l.push_back(d);
  l.insert_before(d, c);  // in the middle
  CHECK(values(l) == std::vector<int>{1, 2, 3, 4});
  CHECK(l.size() == 4);
  CHECK(l.front() == &a);
  l.clear();
}

TEST_CASE("contains") {
  Item a(1), b(2), c(3);
  RunList l;
  l.push_back(a);
  l.push_back(b);
  CHECK(l.contains(a));
  CHECK(l.contains(b));
  CHECK_FALSE(l.contains(c));
  l.remove(a);
  CHECK_FALSE(l.contains(a));
  l.clear();
}

TEST_CASE("one element in two lists through two nodes") {
  Item a(1), b(2), c(3);
  RunList run;
  AllList all;
  all.push_back(a);
  all.push_back(b);
  all.push_back(c);
  run.push_back(c);
  run.push_back(a);
  CHECK(values(all) == std::vector<int>{1, 2, 3});
  CHECK(values(run) == std::vector<int>{3, 1});
  run.remove(c);
  CHECK(values(all) == std::vector<int>{1, 2, 3});  // untouched
  CHECK(all.contains(c));
  all.remove(a);
  CHECK(values(run) == std::vector<int>{1});
  run.clear();
  all.clear();
}

TEST_CASE("moving an element between lists is remove + push") {
  Item a(1), b(2);
  RunList from, to;
  from.push_back(a);
  from.push_back(b);
  from.remove(a);
  to.push_back(a);
  CHECK(values(from) == std::vector<int>{2});
  CHECK(values(to) == std::vector<int>{1});
  CHECK(from.size() == 1);
  CHECK(to.size() == 1);
  from.clear();
  to.clear();
}

TEST_CASE("size stays exact over many operations") {
  std::deque<Item> items;  // never relocates its elements
  for (int i = 0; i < 100; ++i) items.emplace_back(i);
  RunList l;
  for (auto& i : items) l.push_back(i);
  CHECK(l.size() == 100);
  for (size_t i = 0; i < items.size(); i += 3) l.remove(items[i]);
  CHECK(l.size() == 66);
  size_t n = 0;
  int prev = -1;
  for (Item& i : l) {
    CHECK(i.value % 3 != 0);
    CHECK(i.value > prev);
    prev = i.value;
    ++n;
  }
  CHECK(n == 66);
  l.clear();
  CHECK(l.size() == 0);
}

TEST_CASE("a list without a counter: the same links, size() by walking") {
  using Uncounted = libk::IntrusiveList<Item, &Item::run_node, false>;
  static_assert(sizeof(Uncounted) == sizeof(libk::ListNode));
  static_assert(sizeof(RunList) == sizeof(libk::ListNode) + sizeof(size_t));
  std::deque<Item> items;
  for (int i = 0; i < 50; ++i) items.emplace_back(i);
  Uncounted l;
  CHECK(l.size() == 0);
  for (auto& i : items) l.push_back(i);
  CHECK(l.size() == 50);
  for (size_t i = 0; i < items.size(); i += 2) l.remove(items[i]);
  CHECK(l.size() == 25);
  CHECK(l.front()->value == 1);
  CHECK(l.pop_front()->value == 1);
  CHECK(l.size() == 24);
  l.clear();
  CHECK(l.empty());
  CHECK(l.size() == 0);
}

TEST_CASE("misuse is detected") {
  CHECK_LIBK_ASSERT("!n->linked()", {
    Item a(1);
    RunList l;
    l.push_back(a);
    l.push_back(a);
  });
  CHECK_LIBK_ASSERT("!n->linked()", {
    Item a(1);
    RunList l, other;
    l.push_back(a);
    other.push_front(a);
  });
  CHECK_LIBK_ASSERT("n->linked()", {
    Item a(1);
    RunList l;
    l.remove(a);
  });
  CHECK_LIBK_ASSERT("node(pos)->linked()", {
    Item a(1), b(2);
    RunList l;
    l.insert_before(a, b);
  });
  // Destroying a linked element would leave the list pointing at freed memory.
  CHECK_LIBK_ASSERT("!linked()", {
    RunList l;
    {
      Item a(1);
      l.push_back(a);
    }
  });
  // Destroying a non-empty list would strand its elements' links.
  CHECK_LIBK_ASSERT("empty()", {
    Item a(1);
    {
      RunList l;
      l.push_back(a);
    }
  });
}
