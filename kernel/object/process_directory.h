// The process directory: a capability, not a place. A handle to it with
// ENUMERATE lets its holder list pids and open INSPECT-only observer handles
// to processes (what procfs needs); POWER lets it power the machine off (the
// shell's poweroff). There is one, made at boot; init hands out handles with
// only the rights each server needs.
#pragma once
#include "mm/slab.h"
#include "object/object.h"

class ProcessDirectory final : public Object {
 public:
  static constexpr ObjectType kType = ObjectType::ProcessDirectory;
  static RefPtr<ProcessDirectory> instance();  // made on first use, never freed

 private:
  friend class TypedCache<ProcessDirectory>;
  ProcessDirectory() : Object(ObjectType::ProcessDirectory) {}
  void destroy() override;
};
