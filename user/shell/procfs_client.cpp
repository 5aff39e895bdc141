#include "procfs_client.h"

#include <libk/format.h>
#include <procfs/protocol.h>

#include "shell.h"
#include "status_words.h"

namespace shell::proc {
namespace {
using libk::StringView;

char file_buf[procfs::DATA_MAX + 1];
char listing[procfs::DATA_MAX + 1];

int64_t get(procfs::Op op, const char* path, char* buf, size_t* len) {
  if (procfs_service == KEEL_HANDLE_INVALID) return ERR_BAD_HANDLE;
  return procfs::request(procfs_service, op, path, buf, procfs::DATA_MAX, len);
}

// Every entry of a directory, however many pages procfs sends it in.
int64_t list_each(const char* path, void (*fn)(void*, StringView), void* ctx) {
  if (procfs_service == KEEL_HANDLE_INVALID) return ERR_BAD_HANDLE;
  return procfs::list_each(procfs_service, path, fn, ctx);
}

void print_entry(void*, StringView entry) {
  keel::printf("%.*s\n", static_cast<int>(entry.size()), entry.data());
}

// cat and ls of one path: a directory is listed by either.
int64_t show(const char* cmd, const char* path, bool want_list) {
  size_t len = 0;
  int64_t r;
  if (want_list) {
    r = list_each(path, print_entry, nullptr);
  } else {
    r = get(procfs::OP_READ, path, file_buf, &len);
    if (r == ERR_INVALID_ARGS) {  // a directory: list it, as a person meant
      r = list_each(path, print_entry, nullptr);
      len = 0;
    }
  }
  if (r != KEEL_OK) {
    Subject s = procfs_service == KEEL_HANDLE_INVALID ? Subject::Service
                : want_list                           ? Subject::Directory
                                                      : Subject::File;
    return fail("%s: %s: %s\n", cmd, path, error_phrase(r, s));
  }
  keel::debug_write(file_buf, len);
  return 0;
}

// The value of "Key: value" in a status file.
StringView field(StringView text, StringView key) {
  while (!text.empty()) {
    StringView line = libk::next_token(text, '\n');
    if (line.size() > key.size() + 1 && line.starts_with(key) && line[key.size()] == ':')
      return line.substr(key.size() + 2);
  }
  return StringView("?");
}

bool is_pid(StringView s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

int64_t each_path(const char* cmd, size_t argc, char** argv, bool want_list) {
  if (argc < 2) return fail("usage: %s PATH...\n", cmd);
  int64_t status = 0;
  for (size_t i = 1; i < argc; i++)
    if (show(cmd, argv[i], want_list) != 0) status = 1;
  return status;
}
}  // namespace

int64_t cmd_ls(size_t argc, char** argv) {
  if (argc == 1) return show("ls", "/proc", true);
  return each_path("ls", argc, argv, true);
}
int64_t cmd_cat(size_t argc, char** argv) { return each_path("cat", argc, argv, false); }
int64_t cmd_kstat(size_t, char**) { return show("kstat", "/proc/kstat", false); }
int64_t cmd_meminfo(size_t, char**) { return show("meminfo", "/proc/meminfo", false); }

void print_ps_line(void*, StringView entry) {
  if (!is_pid(entry)) return;
  char path[64];
  libk::format(path, sizeof(path), "/proc/%.*s/status", static_cast<int>(entry.size()),
               entry.data());
  size_t n = 0;
  if (get(procfs::OP_READ, path, file_buf, &n) != KEEL_OK) return;  // exited meanwhile
  StringView text(file_buf, n);
  StringView f[7] = {field(text, "Pid"),   field(text, "PPid"),  field(text, "State"),
                     field(text, "Tasks"), field(text, "Pages"), field(text, "Handles"),
                     field(text, "Name")};
  keel::printf("%5.*s %5.*s %-8.*s %5.*s %6.*s %7.*s  %.*s\n", (int)f[0].size(), f[0].data(),
               (int)f[1].size(), f[1].data(), (int)f[2].size(), f[2].data(), (int)f[3].size(),
               f[3].data(), (int)f[4].size(), f[4].data(), (int)f[5].size(), f[5].data(),
               (int)f[6].size(), f[6].data());
}

int64_t print_ps() {
  if (procfs_service == KEEL_HANDLE_INVALID) return ERR_BAD_HANDLE;
  keel::printf("%5s %5s %-8s %5s %6s %7s  %s\n", "PID", "PPID", "STATE", "TASKS", "PAGES",
               "HANDLES", "NAME");
  return list_each("/proc", print_ps_line, nullptr);
}

int64_t cmd_ps(size_t, char**) {
  int64_t r = print_ps();
  if (r != KEEL_OK)
    return fail("ps: %s\n",
                error_phrase(r, procfs_service == KEEL_HANDLE_INVALID ? Subject::Service
                                                                      : Subject::Directory));
  return 0;
}

int64_t count_processes() {
  int64_t n = 0;
  int64_t r = list_each(
      "/proc", [](void* ctx, StringView e) { *static_cast<int64_t*>(ctx) += is_pid(e) ? 1 : 0; },
      &n);
  return r != KEEL_OK ? r : n;
}

void complete_path(StringView word, Completions& out) {
  if (StringView("/proc/").starts_with(word) && word.size() < 6) return out.add("/proc/");
  size_t slash = word.size();
  while (slash > 0 && word[slash - 1] != '/') slash--;
  if (slash == 0) return;
  StringView dir = word.substr(0, slash);  // ends with '/'
  char path[procfs::PATH_LEN_MAX + 1];
  if (dir.size() > procfs::PATH_LEN_MAX) return;
  memcpy(path, dir.data(), dir.size() - (dir.size() > 1 ? 1 : 0));
  path[dir.size() - (dir.size() > 1 ? 1 : 0)] = 0;
  size_t len = 0;
  if (get(procfs::OP_LIST, path, listing, &len) != KEEL_OK) return;
  StringView rest(listing, len);
  while (!rest.empty()) {
    StringView entry = libk::next_token(rest, '\n');
    if (entry.empty()) continue;
    char candidate[procfs::PATH_LEN_MAX + 2];
    bool directory = is_pid(entry) && dir == StringView("/proc/");
    size_t n = libk::format(candidate, sizeof(candidate), "%.*s%.*s%s", (int)dir.size(), dir.data(),
                            (int)entry.size(), entry.data(), directory ? "/" : "");
    if (n < sizeof(candidate)) out.add(StringView(candidate, n));
  }
}

}  // namespace shell::proc
