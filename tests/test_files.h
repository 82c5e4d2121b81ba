// What the end-to-end tests share: reading files, splitting lines, naming golden-case tests.
#pragma once

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace sluice::testing {

inline std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<std::string> NonEmptyLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

// Appends `text` to the file at `p` (made if missing) and flushes it: for a followed file.
inline void AppendTo(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::app) << text << std::flush;
}

// Waits up to about 5 s until the file at `p` holds `n` non-empty lines (an app wrote them).
inline bool WaitForLines(const std::filesystem::path& p, size_t n) {
  for (int i = 0; i < 500; ++i) {
    if (NonEmptyLines(ReadAll(p)).size() >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// The changes of `stream` in what `run --print --changelog` printed: from each of its lines, the
// part from "op" on (the change kind and the row), one per line.
inline std::string ChangesOf(const std::string& printed, const std::string& stream) {
  std::string changes;
  for (const std::string& line : NonEmptyLines(printed))
    if (line.find("\"stream\":\"" + stream + "\"") != std::string::npos)
      changes += line.substr(line.find("\"op\"")) + "\n";
  return changes;
}

// A golden case's directory name as a test name (letters and digits only).
inline std::string CaseTestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

}  // namespace sluice::testing
