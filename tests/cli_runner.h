// Running the `sluice` binary from the end-to-end tests: a command in a directory, or a bash
// script, with its exit code, stdout and stderr.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "test_files.h"

namespace sluice::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// The binary under test; SLUICE_TEST_BIN overrides it (to run these tests against another build,
// e.g. to see a regression test fail on the code before its fix).
inline std::string SluiceBin() {
  const char* bin = std::getenv("SLUICE_TEST_BIN");
  return bin && *bin ? bin : SLUICE_BIN;
}

inline CommandResult RunIn(const std::filesystem::path& dir, const std::string& args) {
  std::filesystem::path err_file =
      std::filesystem::temp_directory_path() /
      ("sluice_e2e_" + std::to_string(::getpid()) + "_" +
       std::to_string(std::hash<std::string>{}(dir.string() + args)) + ".err");
  std::string cmd = "cd '" + dir.string() + "' && '" + SluiceBin() + "' " + args + " 2> '" +
                    err_file.string() + "'";
  CommandResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = ReadAll(err_file);
  std::filesystem::remove(err_file);
  return r;
}

// Runs `script` with bash in `dir` ($SLUICE is the binary): for pipes, signals and the like.
inline CommandResult RunShell(const std::filesystem::path& dir, const std::string& script) {
  std::filesystem::path err_file =
      std::filesystem::temp_directory_path() /
      ("sluice_sh_" + std::to_string(::getpid()) + "_" +
       std::to_string(std::hash<std::string>{}(dir.string() + script)) + ".err");
  std::filesystem::path script_file = err_file;
  script_file.replace_extension(".sh");
  std::ofstream(script_file) << script;
  std::string cmd = "cd '" + dir.string() + "' && SLUICE='" + SluiceBin() + "' bash '" +
                    script_file.string() + "' 2> '" + err_file.string() + "'";
  CommandResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = ReadAll(err_file);
  std::filesystem::remove(err_file);
  std::filesystem::remove(script_file);
  return r;
}

}  // namespace sluice::testing
