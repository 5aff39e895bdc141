// Replays fuzz inputs through a target's LLVMFuzzerTestOneInput without
// libFuzzer: the deterministic half of host fuzzing, run by the host suite.
//
//   fuzz_replay_<name> DIR...   every regular file in each DIR, in name order
//
// A missing DIR is skipped (a target with no regressions has no folder), but
// at least one input must be found, so a wrong path cannot pass silently.
// Each input is handed over in a heap buffer of exactly its size (as
// libFuzzer does), so ASan reports any read past its end. A violated
// property traps inside the target; the exit status then says which input.
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

bool read_file(const std::string& path, std::vector<uint8_t>& out) {
  FILE* f = fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  uint8_t buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.insert(out.end(), buf, buf + n);
  bool ok = ferror(f) == 0;
  fclose(f);
  return ok;
}

// Regular files of `dir`, sorted by name; false if `dir` cannot be opened.
bool list_files(const std::string& dir, std::vector<std::string>& out) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return false;
  std::vector<std::string> names;
  while (dirent* e = readdir(d))
    if (e->d_type == DT_REG) names.push_back(e->d_name);
  closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) out.push_back(dir + "/" + n);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> inputs;
  for (int i = 1; i < argc; ++i)
    if (!list_files(argv[i], inputs)) printf("replay: %s: no such folder, skipped\n", argv[i]);
  if (inputs.empty()) {
    printf("replay: no inputs found\n");
    return 1;
  }
  for (const std::string& path : inputs) {
    std::vector<uint8_t> bytes;
    if (!read_file(path, bytes)) {
      printf("replay: cannot read %s\n", path.c_str());
      return 1;
    }
    printf("replay: %s (%zu bytes)\n", path.c_str(), bytes.size());
    fflush(stdout);  // the last line names the input if the target traps
    // Exactly `size` bytes: one more is an ASan report.
    std::unique_ptr<uint8_t[]> exact(new uint8_t[bytes.size()]);
    if (!bytes.empty()) memcpy(exact.get(), bytes.data(), bytes.size());
    LLVMFuzzerTestOneInput(exact.get(), bytes.size());
  }
  printf("replay: %zu inputs, all passed\n", inputs.size());
  return 0;
}
