// libFuzzer entry for sluice::fuzz::FuzzJson (fuzz/fuzz_targets.h).
#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sluice::fuzz::FuzzJson(data, size);
  return 0;
}
