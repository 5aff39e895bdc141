#include "process_directory.h"

#include "lib/panic.h"

namespace {
TypedCache<ProcessDirectory> cache("process_directory");
ProcessDirectory* the_directory;  // owns one reference for ever
}  // namespace

RefPtr<ProcessDirectory> ProcessDirectory::instance() {
  if (!the_directory) {
    auto d = cache.create();
    if (d.is_error()) panic("no memory for the process directory");
    the_directory = d.value();  // the creation reference is the directory's own
  }
  return RefPtr<ProcessDirectory>(the_directory);
}

void ProcessDirectory::destroy() { panic("the process directory lost its own reference"); }
