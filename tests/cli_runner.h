// Running the `sluice` binary from the end-to-end tests: a command in a directory, or a bash
// script, with its exit code, stdout and stderr.
#pragma once

#include <gtest/gtest.h>
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

// A file under the temp dir for one command's stderr (or script), unique per process and command.
inline std::filesystem::path TempFileFor(const std::string& tag, const std::string& what,
                                         const char* extension) {
  return std::filesystem::temp_directory_path() /
         ("sluice_" + tag + "_" + std::to_string(::getpid()) + "_" +
          std::to_string(std::hash<std::string>{}(what)) + extension);
}

// A new, empty directory for the running test: <temp>/<prefix>_<pid>_<test name>.
inline std::filesystem::path FreshTestDir(const std::string& prefix) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              (prefix + "_" + std::to_string(::getpid()) + "_" +
                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Runs `command` in `dir` with a shell: its stdout, its stderr (through `err_file`), its exit code.
inline CommandResult RunCommand(const std::filesystem::path& dir, const std::string& command,
                                const std::filesystem::path& err_file) {
  std::string cmd = "cd '" + dir.string() + "' && " + command + " 2> '" + err_file.string() + "'";
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

// Runs sluice with `args` in `dir`.
inline CommandResult RunIn(const std::filesystem::path& dir, const std::string& args) {
  return RunCommand(dir, "'" + SluiceBin() + "' " + args,
                    TempFileFor("e2e", dir.string() + args, ".err"));
}

// Runs `script` with bash in `dir` ($SLUICE is the binary): for pipes, signals and the like.
inline CommandResult RunShell(const std::filesystem::path& dir, const std::string& script) {
  std::filesystem::path script_file = TempFileFor("sh", dir.string() + script, ".sh");
  std::ofstream(script_file) << script;
  CommandResult r =
      RunCommand(dir, "SLUICE='" + SluiceBin() + "' bash '" + script_file.string() + "'",
                 TempFileFor("sh", dir.string() + script, ".err"));
  std::filesystem::remove(script_file);
  return r;
}

}  // namespace sluice::testing
