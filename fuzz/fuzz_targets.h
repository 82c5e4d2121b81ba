// The inputs the fuzzers feed Sluice, one function per target: an app's text (parsed, bound,
// planned and compiled), a JSON event, CSV lines, a replay file. Each must return normally
// whatever the bytes are: no crash, no hang, no undefined behaviour. libFuzzer drives them
// (fuzz/*_fuzzer.cc, `make fuzz`), and tests/fuzz_regression_test.cc replays every input a
// fuzzer ever found a problem with (tests/fuzz_regressions/<target>/).
#pragma once

#include <cstddef>
#include <cstdint>

namespace sluice::fuzz {

void FuzzApp(const uint8_t* data, size_t size);
void FuzzJson(const uint8_t* data, size_t size);
void FuzzCsv(const uint8_t* data, size_t size);
void FuzzReplay(const uint8_t* data, size_t size);

}  // namespace sluice::fuzz
