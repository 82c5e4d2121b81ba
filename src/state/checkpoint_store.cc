#include "state/checkpoint_store.h"

#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "state/crc32c.h"

namespace sluice::state {

namespace {

constexpr char kMagic[8] = {'S', 'L', 'U', 'I', 'C', 'E', 'S', 'T'};
constexpr size_t kHeaderBytes = sizeof kMagic + 4 + 8 + 4;  // magic, version, raw size, crc
constexpr char kManifest[] = "MANIFEST";
constexpr char kPrefix[] = "chk-";
constexpr uint64_t kMaxPartBytes = uint64_t{1} << 38;  // 256 GiB: a claim beyond is corrupt
constexpr int kZstdLevel = 1;  // fast: a checkpoint's write competes with the app for the cores

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Names and positions go into manifest lines as one word each: spaces, '%' and control
// characters are percent-encoded.
std::string Escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c <= ' ' || c == '%' || c >= 0x7f) {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out.empty() ? "%00" : out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Eight hex digits, as Hex writes them; false for anything else (never throws).
bool ParseHex32(const std::string& s, uint32_t* v) {
  if (s.size() != 8) return false;
  *v = 0;
  for (char c : s) {
    int d = HexDigit(c);
    if (d < 0) return false;
    *v = *v * 16 + static_cast<uint32_t>(d);
  }
  return true;
}

bool Unescape(std::string_view s, std::string* out) {
  out->clear();
  if (s == "%00") return true;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      *out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return false;
    int hi = HexDigit(s[i + 1]), lo = HexDigit(s[i + 2]);
    if (hi < 0 || lo < 0) return false;
    *out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

void PutU32(std::string* out, uint32_t v) { out->append(reinterpret_cast<const char*>(&v), 4); }
void PutU64(std::string* out, uint64_t v) { out->append(reinterpret_cast<const char*>(&v), 8); }

// The id of a directory named chk-<id>, or 0.
uint64_t IdOf(const std::string& name) {
  if (name.rfind(kPrefix, 0) != 0 || name.size() <= std::strlen(kPrefix)) return 0;
  uint64_t id = 0;
  for (size_t i = std::strlen(kPrefix); i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return 0;
    id = id * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return id;
}

std::string Hex(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

}  // namespace

uint64_t CheckpointInfo::stored_bytes() const {
  uint64_t n = 0;
  for (const PartInfo& p : parts) n += p.stored_bytes;
  return n;
}

CheckpointStore::CheckpointStore(std::string dir, Env* env, int retain)
    : dir_(std::move(dir)), env_(env), retain_(std::max(1, retain)) {}

std::string CheckpointStore::CheckpointDir(uint64_t id) const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%010" PRIu64, kPrefix, id);
  return dir_ + "/" + buf;
}

Result<CheckpointInfo> CheckpointStore::Write(const std::vector<CheckpointPart>& parts,
                                              const CheckpointMeta& meta) {
  int64_t start = NowMicros();
  if (!env_->Exists(dir_)) {
    // A new state dir: its own entry in its parent is made durable too.
    RETURN_IF_ERROR(env_->CreateDir(dir_));
    std::string parent =
        dir_.find('/') == std::string::npos ? "." : dir_.substr(0, dir_.rfind('/'));
    RETURN_IF_ERROR(env_->SyncDir(parent.empty() ? "/" : parent));
  }
  if (last_id_ == 0) {
    std::vector<std::string> names;
    RETURN_IF_ERROR(env_->ListDir(dir_, &names));
    for (const std::string& n : names) last_id_ = std::max(last_id_, IdOf(n));
  }
  CheckpointInfo info;
  info.id = last_id_ + 1;
  info.dir = CheckpointDir(info.id);
  info.meta = meta;
  // A directory of that id is a leftover of a crash before its manifest: start it again.
  RETURN_IF_ERROR(env_->RemoveAll(info.dir));
  RETURN_IF_ERROR(env_->CreateDir(info.dir));
  last_id_ = info.id;  // an id is never reused, even when this write fails
  std::string file;
  for (size_t i = 0; i < parts.size(); ++i) {
    PartInfo p;
    p.name = parts[i].name;
    p.file = "p" + std::to_string(i) + ".zst";
    p.raw_bytes = parts[i].data.size();
    std::string payload(ZSTD_compressBound(parts[i].data.size()), '\0');
    size_t n = ZSTD_compress(payload.data(), payload.size(), parts[i].data.data(),
                             parts[i].data.size(), kZstdLevel);
    if (ZSTD_isError(n))
      return Status::Internal(std::string("zstd: ") + ZSTD_getErrorName(n) + " compressing '" +
                              p.name + "'");
    payload.resize(n);
    p.crc = Crc32c(payload);
    p.stored_bytes = kHeaderBytes + payload.size();
    file.assign(kMagic, sizeof kMagic);
    PutU32(&file, kFormatVersion);
    PutU64(&file, p.raw_bytes);
    PutU32(&file, p.crc);
    file += payload;
    RETURN_IF_ERROR(env_->WriteFile(info.dir + "/" + p.file, file));
    info.parts.push_back(std::move(p));
  }
  info.write_us = NowMicros() - start;
  std::string m = "sluice checkpoint " + std::to_string(kFormatVersion) + "\n";
  m += "id " + std::to_string(info.id) + "\n";
  m += "time_ms " + std::to_string(meta.time_ms) + "\n";
  m += "pause_us " + std::to_string(meta.pause_us) + "\n";
  m += "write_us " + std::to_string(info.write_us) + "\n";
  for (const PartInfo& p : info.parts)
    m += "part " + Escape(p.name) + " " + p.file + " " + std::to_string(p.raw_bytes) + " " +
         std::to_string(p.stored_bytes) + " " + Hex(p.crc) + "\n";
  for (const auto& [source, position] : meta.positions)
    m += "position " + Escape(source) + " " + Escape(position) + "\n";
  m += "crc " + Hex(Crc32c(m)) + "\n";
  std::string tmp = info.dir + "/" + kManifest + ".tmp";
  RETURN_IF_ERROR(env_->WriteFile(tmp, m));
  RETURN_IF_ERROR(env_->SyncDir(info.dir));
  RETURN_IF_ERROR(env_->Rename(tmp, info.dir + "/" + kManifest));
  RETURN_IF_ERROR(env_->SyncDir(info.dir));
  RETURN_IF_ERROR(env_->SyncDir(dir_));
  Prune(info.id);
  return info;
}

void CheckpointStore::Prune(uint64_t newest) {
  std::vector<std::string> names;
  if (!env_->ListDir(dir_, &names).ok()) return;
  std::vector<uint64_t> complete;
  for (const std::string& n : names) {
    uint64_t id = IdOf(n);
    if (id == 0 || id > newest) continue;
    if (env_->Exists(dir_ + "/" + n + "/" + kManifest)) {
      // Only checkpoints whose manifest reads count toward `retain_`: a corrupt one must not
      // push a good one out.
      CheckpointInfo info;
      if (ReadManifest(dir_ + "/" + n, &info).ok()) complete.push_back(id);
    } else if (id < newest) {
      env_->RemoveAll(dir_ + "/" + n);  // unfinished: a crash or a failed write
    }
  }
  std::sort(complete.rbegin(), complete.rend());
  for (size_t i = static_cast<size_t>(retain_); i < complete.size(); ++i)
    env_->RemoveAll(CheckpointDir(complete[i]));
}

Status CheckpointStore::ReadManifest(const std::string& dir, CheckpointInfo* info) {
  std::string path = dir + "/" + kManifest;
  if (!env_->Exists(path))
    return Status::NotFound(path + " is missing: the checkpoint was not finished");
  std::string m;
  RETURN_IF_ERROR(env_->ReadFile(path, &m));
  auto corrupt = [&](const std::string& why) {
    return Status::InvalidArgument(path + " is corrupt: " + why);
  };
  size_t crc_at = m.rfind("crc ");
  if (crc_at == std::string::npos || (crc_at > 0 && m[crc_at - 1] != '\n') || m.back() != '\n')
    return corrupt("it is truncated (no checksum line at its end)");
  std::string want = m.substr(crc_at + 4, m.size() - crc_at - 5);
  if (Hex(Crc32c(std::string_view(m).substr(0, crc_at))) != want)
    return corrupt("its checksum does not match its contents");
  std::istringstream lines(m.substr(0, crc_at));
  std::string line;
  std::getline(lines, line);
  unsigned version = 0;
  if (std::sscanf(line.c_str(), "sluice checkpoint %u", &version) != 1)
    return corrupt("it does not start with 'sluice checkpoint <version>'");
  if (version > kFormatVersion)
    return Status::NotSupported(path + " was written by a newer format version (" +
                                std::to_string(version) + ") than this sluice reads (" +
                                std::to_string(kFormatVersion) + ")");
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string key;
    words >> key;
    if (key == "id") {
      words >> info->id;
    } else if (key == "time_ms") {
      words >> info->meta.time_ms;
    } else if (key == "pause_us") {
      words >> info->meta.pause_us;
    } else if (key == "write_us") {
      words >> info->write_us;
    } else if (key == "part") {
      PartInfo p;
      std::string name, crc;
      words >> name >> p.file >> p.raw_bytes >> p.stored_bytes >> crc;
      if (!words || !Unescape(name, &p.name) || !ParseHex32(crc, &p.crc) ||
          p.file.find('/') != std::string::npos)
        return corrupt("a bad part line: " + line);
      info->parts.push_back(std::move(p));
    } else if (key == "position") {
      std::string a, b, source, position;
      words >> a >> b;
      if (!words || !Unescape(a, &source) || !Unescape(b, &position))
        return corrupt("a bad position line: " + line);
      info->meta.positions.emplace_back(std::move(source), std::move(position));
    } else {
      return corrupt("an unknown line: " + line);
    }
    if (!words && key != "part" && key != "position") return corrupt("a bad line: " + line);
  }
  info->dir = dir;
  return Status::OK();
}

Status CheckpointStore::ReadPart(const CheckpointInfo& info, const PartInfo& part,
                                 std::string* data) {
  std::string path = info.dir + "/" + part.file;
  if (!env_->Exists(path)) return Status::NotFound(path + " is missing");
  std::string file;
  RETURN_IF_ERROR(env_->ReadFile(path, &file));
  auto corrupt = [&](const std::string& why) {
    return Status::InvalidArgument(path + " (state of '" + part.name + "') is corrupt: " + why);
  };
  if (file.size() < kHeaderBytes || std::memcmp(file.data(), kMagic, sizeof kMagic) != 0)
    return corrupt("it is not a sluice state file");
  uint32_t version, crc;
  uint64_t raw;
  std::memcpy(&version, file.data() + 8, 4);
  std::memcpy(&raw, file.data() + 12, 8);
  std::memcpy(&crc, file.data() + 20, 4);
  if (version > kFormatVersion)
    return Status::NotSupported(path + " was written by a newer format version (" +
                                std::to_string(version) + ") than this sluice reads (" +
                                std::to_string(kFormatVersion) + ")");
  if (file.size() != part.stored_bytes)
    return corrupt("it has " + std::to_string(file.size()) + " bytes, the manifest says " +
                   std::to_string(part.stored_bytes) + " (truncated or torn)");
  std::string_view payload = std::string_view(file).substr(kHeaderBytes);
  if (crc != part.crc || Crc32c(payload) != crc)
    return corrupt("its checksum does not match its contents");
  unsigned long long size = ZSTD_getFrameContentSize(payload.data(), payload.size());
  if (size != raw || raw != part.raw_bytes) return corrupt("its sizes do not agree");
  if (raw > kMaxPartBytes) return corrupt("it claims " + std::to_string(raw) + " bytes of state");
  data->assign(raw, '\0');
  size_t n = ZSTD_decompress(data->data(), data->size(), payload.data(), payload.size());
  if (ZSTD_isError(n) || n != raw)
    return corrupt(std::string("it does not decompress: ") +
                   (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short"));
  return Status::OK();
}

std::vector<CheckpointListing> CheckpointStore::List(bool verify) {
  std::vector<CheckpointListing> out;
  std::vector<std::string> names;
  if (!env_->ListDir(dir_, &names).ok()) return out;
  std::vector<uint64_t> ids;
  for (const std::string& n : names)
    if (uint64_t id = IdOf(n)) ids.push_back(id);
  std::sort(ids.rbegin(), ids.rend());
  for (uint64_t id : ids) {
    CheckpointListing l;
    l.info.id = id;
    l.info.dir = CheckpointDir(id);
    Status st = ReadManifest(l.info.dir, &l.info);
    if (st.ok() && l.info.id != id)
      st = Status::InvalidArgument(l.info.dir + "/MANIFEST names another checkpoint");
    std::string data;
    for (size_t i = 0; st.ok() && verify && i < l.info.parts.size(); ++i)
      st = ReadPart(l.info, l.info.parts[i], &data);
    if (!st.ok()) l.problem = st.message();
    out.push_back(std::move(l));
  }
  return out;
}

Result<std::vector<CheckpointPart>> CheckpointStore::Read(const CheckpointInfo& info) {
  std::vector<CheckpointPart> parts;
  for (const PartInfo& p : info.parts) {
    CheckpointPart part;
    part.name = p.name;
    RETURN_IF_ERROR(ReadPart(info, p, &part.data));
    parts.push_back(std::move(part));
  }
  return parts;
}

Result<std::pair<CheckpointInfo, std::vector<CheckpointPart>>> CheckpointStore::LoadNewest(
    std::vector<std::string>* skipped, bool move_aside) {
  std::vector<CheckpointListing> all = List(false);
  std::string problems;
  size_t finished = 0;
  std::vector<const CheckpointListing*> bad;
  for (CheckpointListing& l : all) {
    // A directory without a manifest is a checkpoint that was being written when the app
    // stopped: it never existed.
    if (!env_->Exists(l.info.dir + "/" + kManifest)) continue;
    ++finished;
    if (l.problem.empty()) {
      Result<std::vector<CheckpointPart>> parts = Read(l.info);
      if (parts.ok()) {
        // Only when a good one is found: with none, the bad ones stay where they are, so that
        // the next start still refuses to begin empty.
        for (const CheckpointListing* b : bad) {
          std::string aside = dir_ + "/bad-" + b->info.dir.substr(b->info.dir.rfind('/') + 1);
          std::string problem = b->problem;
          if (move_aside && env_->Rename(b->info.dir, aside).ok())
            problem += " (moved to " + aside + ")";
          skipped->push_back(problem);
        }
        return std::make_pair(std::move(l.info), std::move(*parts));
      }
      l.problem = parts.status().message();
    }
    bad.push_back(&l);
    problems += "\n  " + l.problem;
  }
  for (const CheckpointListing* b : bad) skipped->push_back(b->problem);
  if (finished == 0) return Status::NotFound("no checkpoint in '" + dir_ + "'");
  return Status::InvalidArgument("no checkpoint in '" + dir_ + "' reads back whole:" + problems +
                                 "\n(start with --fresh to ignore them)");
}

}  // namespace sluice::state
