// A small first-fit heap on vm_alloc: blocks carry their size; free blocks
// form a singly linked list; arenas of 64 KiB are mapped on demand. Enough
// for servers and tests; nothing here is fast.
#include "keel.h"

namespace keel {
namespace {
struct Block {
  size_t size;  // bytes after the header
  Block* next;  // free list only
};
constexpr size_t ARENA = 64 * 1024;
Block* free_list;

bool grow(size_t need) {
  size_t size =
      need + sizeof(Block) > ARENA ? (need + sizeof(Block) + 4095) & ~size_t{4095} : ARENA;
  uintptr_t addr = 0;
  if (vm_alloc(size, KEEL_VM_READ | KEEL_VM_WRITE, &addr) < 0) return false;
  auto* b = reinterpret_cast<Block*>(addr);
  b->size = size - sizeof(Block);
  b->next = free_list;
  free_list = b;
  return true;
}
}  // namespace

void* malloc(size_t n) {
  n = (n + 15) & ~size_t{15};
  for (int attempt = 0; attempt < 2; attempt++) {
    for (Block** link = &free_list; *link; link = &(*link)->next) {
      Block* b = *link;
      if (b->size < n) continue;
      if (b->size >= n + sizeof(Block) + 16) {  // split
        auto* rest = reinterpret_cast<Block*>(reinterpret_cast<char*>(b + 1) + n);
        rest->size = b->size - n - sizeof(Block);
        rest->next = b->next;
        *link = rest;
        b->size = n;
      } else {
        *link = b->next;
      }
      return b + 1;
    }
    if (!grow(n)) return nullptr;
  }
  return nullptr;
}

void free(void* p) {
  if (!p) return;
  Block* b = static_cast<Block*>(p) - 1;
  b->next = free_list;
  free_list = b;
}

}  // namespace keel
