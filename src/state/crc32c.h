// CRC32C (Castagnoli), the checksum of every checkpoint file: it finds torn writes, truncation
// and flipped bits. Software, table-driven (slicing by 8): no CPU feature needed.
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice::state {

// The CRC32C of `data`, continuing from `crc` (0 to start).
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);

}  // namespace sluice::state
