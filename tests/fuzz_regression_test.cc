// Every input that a fuzzer (fuzz/) found crashing, hanging or misbehaving stays here as a
// regression test: tests/fuzz_regressions/<target>/<name>, fed to the target's function. Inputs
// that fuzzing found before the fuzzers became part of the project are included (deep nesting,
// long operator chains, NUL bytes, numbers out of range).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "fuzz/fuzz_targets.h"

namespace fs = std::filesystem;

namespace {

const std::map<std::string, std::function<void(const uint8_t*, size_t)>>& Targets() {
  static const std::map<std::string, std::function<void(const uint8_t*, size_t)>> targets = {
      {"app", sluice::fuzz::FuzzApp},
      {"json", sluice::fuzz::FuzzJson},
      {"csv", sluice::fuzz::FuzzCsv},
      {"replay", sluice::fuzz::FuzzReplay}};
  return targets;
}

TEST(FuzzRegressions, EveryFoundInputRunsToTheEnd) {
  int inputs = 0;
  for (const auto& [name, run] : Targets()) {
    fs::path dir = fs::path(SLUICE_FUZZ_REGRESSIONS_DIR) / name;
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      std::string bytes = ss.str();
      SCOPED_TRACE(entry.path().string());
      run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++inputs;
    }
  }
  EXPECT_GT(inputs, 0);
}

}  // namespace
