// Checkpoints on disk: a directory per checkpoint (chk-<id>/) with one file per part (the app's
// clocks and positions, each query's and table's state), zstd-compressed, each with a header
// (magic, format version, sizes, CRC32C), and a MANIFEST that lists them with their checksums.
// Parts are written and fsynced first; the manifest is written under a temporary name, fsynced
// and renamed: a checkpoint exists once its manifest does, so a crash leaves the previous ones
// valid. Reading verifies every checksum; a torn, truncated or corrupt checkpoint is named and
// skipped for the newest complete one.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sluice/env.h"
#include "sluice/status.h"

namespace sluice::state {

struct CheckpointPart {
  std::string name;  // "app", "query:<id>", "table:<name>", ...
  std::string data;  // uncompressed
};

struct CheckpointMeta {
  int64_t time_ms = 0;   // wall clock when taken
  int64_t pause_us = 0;  // how long the app's entry points were paused
  // Each source's position, as the runtime prints it (for `sluice checkpoints`).
  std::vector<std::pair<std::string, std::string>> positions;
};

struct PartInfo {
  std::string name, file;
  uint64_t raw_bytes = 0, stored_bytes = 0;
  uint32_t crc = 0;  // of the file's payload (the compressed bytes)
};

struct CheckpointInfo {
  uint64_t id = 0;
  std::string dir;
  CheckpointMeta meta;
  int64_t write_us = 0;  // compressing and writing, after the pause
  std::vector<PartInfo> parts;
  uint64_t stored_bytes() const;
};

struct CheckpointListing {
  CheckpointInfo info;
  std::string problem;  // empty: complete (and, when verified, every checksum matches)
};

class CheckpointStore {
 public:
  static constexpr uint32_t kFormatVersion = 1;

  // `retain`: how many complete checkpoints are kept (at least 1).
  CheckpointStore(std::string dir, Env* env, int retain);

  // Writes a checkpoint with the next id and publishes it; then removes all but the newest
  // `retain` complete ones and any unfinished one. On failure the previous ones stay valid.
  Result<CheckpointInfo> Write(const std::vector<CheckpointPart>& parts,
                               const CheckpointMeta& meta);
  // Every checkpoint directory, newest first. `verify`: read every part and check its checksum
  // and that it decompresses; otherwise only the manifest is checked.
  std::vector<CheckpointListing> List(bool verify);
  // The parts of `info`, each checked.
  Result<std::vector<CheckpointPart>> Read(const CheckpointInfo& info);
  // The newest checkpoint that reads back whole, with its parts. Each newer one that does not is
  // described in *skipped (its directory and the file at fault); one without a manifest (being
  // written when the app stopped) is passed over silently. NotFound when there is none; an
  // error naming the problems when there are finished checkpoints but none reads.
  // `move_aside`: a finished checkpoint that does not read is renamed bad-chk-<id> (kept for
  // inspection, no longer listed or counted toward `retain`).
  Result<std::pair<CheckpointInfo, std::vector<CheckpointPart>>> LoadNewest(
      std::vector<std::string>* skipped, bool move_aside = false);

  const std::string& dir() const { return dir_; }

 private:
  std::string CheckpointDir(uint64_t id) const;
  // Reads and checks `dir`'s manifest.
  Status ReadManifest(const std::string& dir, CheckpointInfo* info);
  Status ReadPart(const CheckpointInfo& info, const PartInfo& part, std::string* data);
  void Prune(uint64_t newest);

  std::string dir_;
  Env* env_;
  int retain_;
  uint64_t last_id_ = 0;
};

}  // namespace sluice::state
