// The file operations of checkpoints (AppOptions::env), behind an interface so that a test can
// make a write, an fsync or a rename fail (a full disk, a dying device) and see that nothing
// valid is lost, as LevelDB's Env does. Env::Default() is the real file system (POSIX).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sluice/status.h"

namespace sluice {

class Env {
 public:
  virtual ~Env() = default;
  static Env* Default();

  // Creates or replaces `path` with `data`, and fsyncs it before returning.
  virtual Status WriteFile(const std::string& path, std::string_view data) = 0;
  virtual Status ReadFile(const std::string& path, std::string* data) = 0;
  // Atomically replaces `to` with `from`.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // Makes the directory's entries (files created or renamed in it) durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // Creates `dir` and its parents; OK when it exists.
  virtual Status CreateDir(const std::string& dir) = 0;
  // The names in `dir`, without "." and "..".
  virtual Status ListDir(const std::string& dir, std::vector<std::string>* names) = 0;
  // Removes a file, or a directory and all it holds. OK when it does not exist.
  virtual Status RemoveAll(const std::string& path) = 0;
  virtual bool Exists(const std::string& path) = 0;
};

// Forwards to another Env; tests override what they make fail.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  Status WriteFile(const std::string& path, std::string_view data) override {
    return target_->WriteFile(path, data);
  }
  Status ReadFile(const std::string& path, std::string* data) override {
    return target_->ReadFile(path, data);
  }
  Status Rename(const std::string& from, const std::string& to) override {
    return target_->Rename(from, to);
  }
  Status SyncDir(const std::string& dir) override { return target_->SyncDir(dir); }
  Status CreateDir(const std::string& dir) override { return target_->CreateDir(dir); }
  Status ListDir(const std::string& dir, std::vector<std::string>* names) override {
    return target_->ListDir(dir, names);
  }
  Status RemoveAll(const std::string& path) override { return target_->RemoveAll(path); }
  bool Exists(const std::string& path) override { return target_->Exists(path); }

 private:
  Env* target_;
};

}  // namespace sluice
