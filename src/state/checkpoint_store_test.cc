#include "state/checkpoint_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "state/crc32c.h"

namespace sluice::state {
namespace {

TEST(Crc32c, KnownValues) {
  EXPECT_EQ(Crc32c("123456789"), 0xe3069283u);  // the standard check value
  EXPECT_EQ(Crc32c(""), 0u);
  std::string long_text(1000, 'x');
  EXPECT_EQ(Crc32c(std::string_view(long_text).substr(500), Crc32c(long_text.substr(0, 500))),
            Crc32c(long_text));
}

class CheckpointStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sluice_store_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::vector<CheckpointPart> Parts(const std::string& tag) {
    return {{"app", "clock " + tag}, {"query:q 1", std::string(10000, 'a') + tag}};
  }
  std::string Load(CheckpointStore& store, std::vector<std::string>* skipped) {
    auto r = store.LoadNewest(skipped);
    if (!r.ok()) return "error: " + r.status().message();
    return r->second.at(0).data;
  }
  static std::string ReadAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  static void Overwrite(const std::string& path, size_t at, char c) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(at));
    f.put(c);
  }

  std::string dir_;
};

TEST_F(CheckpointStoreTest, WritesAndReadsBackTheNewest) {
  CheckpointStore store(dir_, Env::Default(), 3);
  std::vector<std::string> skipped;
  auto none = store.LoadNewest(&skipped);
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  CheckpointMeta meta;
  meta.positions = {{"trades", "offset=10 line=2"}};
  ASSERT_TRUE(store.Write(Parts("1"), meta).ok());
  auto second = store.Write(Parts("2"), meta);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->id, 2u);
  EXPECT_LT(second->stored_bytes(), 1000u);  // compressed
  auto loaded = store.LoadNewest(&skipped);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->first.id, 2u);
  EXPECT_EQ(loaded->second[1].name, "query:q 1");
  EXPECT_EQ(loaded->second[1].data, std::string(10000, 'a') + "2");
  ASSERT_EQ(loaded->first.meta.positions.size(), 1u);
  EXPECT_EQ(loaded->first.meta.positions[0].second, "offset=10 line=2");
  EXPECT_TRUE(skipped.empty());
}

TEST_F(CheckpointStoreTest, KeepsTheNewestRetainedAndNumbersOnAfterARestart) {
  {
    CheckpointStore store(dir_, Env::Default(), 2);
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(store.Write(Parts(std::to_string(i)), {}).ok());
  }
  CheckpointStore store(dir_, Env::Default(), 2);
  auto listed = store.List(true);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].info.id, 4u);
  EXPECT_EQ(listed[1].info.id, 3u);
  auto next = store.Write(Parts("x"), {});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->id, 5u);
}

TEST_F(CheckpointStoreTest, AFlippedByteInAStateFileFallsBackToThePreviousCheckpoint) {
  CheckpointStore store(dir_, Env::Default(), 3);
  ASSERT_TRUE(store.Write(Parts("1"), {}).ok());
  auto bad = store.Write(Parts("2"), {});
  ASSERT_TRUE(bad.ok());
  Overwrite(bad->dir + "/p1.zst", 30, '\x7f');
  std::vector<std::string> skipped;
  EXPECT_EQ(Load(store, &skipped), "clock 1");
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_NE(skipped[0].find("p1.zst (state of 'query:q 1') is corrupt"), std::string::npos)
      << skipped[0];
  auto verified = store.List(true);
  EXPECT_FALSE(verified[0].problem.empty());
  EXPECT_TRUE(verified[1].problem.empty());
  // At a start, the bad one is moved aside, out of the list (and of `retain`).
  skipped.clear();
  ASSERT_TRUE(store.LoadNewest(&skipped, /*move_aside=*/true).ok());
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_NE(skipped[0].find("(moved to "), std::string::npos) << skipped[0];
  EXPECT_EQ(store.List(false).size(), 1u);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/bad-chk-0000000002"));
}

TEST_F(CheckpointStoreTest, ATruncatedManifestOrAMissingFileIsNamed) {
  CheckpointStore store(dir_, Env::Default(), 5);
  ASSERT_TRUE(store.Write(Parts("1"), {}).ok());
  auto torn = store.Write(Parts("2"), {});
  auto missing = store.Write(Parts("3"), {});
  ASSERT_TRUE(torn.ok() && missing.ok());
  std::filesystem::resize_file(torn->dir + "/MANIFEST", 20);
  std::filesystem::remove(missing->dir + "/p0.zst");
  std::vector<std::string> skipped;
  EXPECT_EQ(Load(store, &skipped), "clock 1");
  ASSERT_EQ(skipped.size(), 2u);  // both named; neither is taken for an unfinished one
  EXPECT_NE(skipped[0].find("p0.zst is missing"), std::string::npos) << skipped[0];
  EXPECT_NE(skipped[1].find("MANIFEST is corrupt: it is truncated"), std::string::npos)
      << skipped[1];
}

TEST_F(CheckpointStoreTest, ANewerFormatVersionIsRefusedByName) {
  CheckpointStore store(dir_, Env::Default(), 3);
  ASSERT_TRUE(store.Write(Parts("1"), {}).ok());
  auto newer = store.Write(Parts("2"), {});
  ASSERT_TRUE(newer.ok());
  Overwrite(newer->dir + "/p0.zst", 8, '\x09');  // the version field
  std::vector<std::string> skipped;
  EXPECT_EQ(Load(store, &skipped), "clock 1");
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_NE(skipped[0].find("newer format version (9)"), std::string::npos) << skipped[0];
}

TEST_F(CheckpointStoreTest, AnUnfinishedCheckpointIsNoCheckpoint) {
  CheckpointStore store(dir_, Env::Default(), 3);
  auto only = store.Write(Parts("1"), {});
  ASSERT_TRUE(only.ok());
  std::filesystem::remove(only->dir + "/MANIFEST");  // killed before the rename
  std::vector<std::string> skipped;
  EXPECT_EQ(store.LoadNewest(&skipped).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(skipped.empty());
}

TEST_F(CheckpointStoreTest, NothingReadableIsAnErrorNotAFreshStart) {
  CheckpointStore store(dir_, Env::Default(), 3);
  auto only = store.Write(Parts("1"), {});
  ASSERT_TRUE(only.ok());
  Overwrite(only->dir + "/MANIFEST", 5, '!');
  std::vector<std::string> skipped;
  std::string got = Load(store, &skipped);
  EXPECT_NE(got.find("reads back whole"), std::string::npos) << got;
  EXPECT_NE(got.find("--fresh"), std::string::npos) << got;
  // Asked to move bad ones aside, it leaves them when none is good: the next start refuses too.
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(store.LoadNewest(&skipped, /*move_aside=*/true).status().code(),
              StatusCode::kInvalidArgument);
}

// A manifest whose own checksum holds but whose fields do not parse (written by hand, or by
// something else) is corrupt, never an exception.
TEST_F(CheckpointStoreTest, AManifestWithBadFieldsIsCorruptNotACrash) {
  CheckpointStore store(dir_, Env::Default(), 3);
  auto info = store.Write(Parts("1"), {});
  ASSERT_TRUE(info.ok());
  std::string path = info->dir + "/MANIFEST";
  std::string m = ReadAll(path);
  size_t part = m.find("part app p0.zst ");
  ASSERT_NE(part, std::string::npos);
  size_t crc = m.find('\n', part) - 8;
  m.replace(crc, 8, "zzzzzzzz");
  m = m.substr(0, m.rfind("crc "));
  char line[16];
  std::snprintf(line, sizeof line, "crc %08x\n", Crc32c(m));
  std::ofstream(path, std::ios::binary | std::ios::trunc) << m << line;
  std::vector<std::string> skipped;
  EXPECT_NE(Load(store, &skipped).find("a bad part line"), std::string::npos);
  auto listed = store.List(true);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_NE(listed[0].problem.find("is corrupt"), std::string::npos);
}

// A failing fsync or a full disk fails the checkpoint; the previous one stays the newest valid.
class FailingEnv : public EnvWrapper {
 public:
  FailingEnv() : EnvWrapper(Env::Default()) {}
  Status WriteFile(const std::string& path, std::string_view data) override {
    if (fail_writes_at_ >= 0 && writes_++ >= fail_writes_at_)
      return Status::IoError("cannot write '" + path + "': No space left on device");
    return EnvWrapper::WriteFile(path, data);
  }
  Status Rename(const std::string& from, const std::string& to) override {
    if (fail_rename_) return Status::IoError("cannot rename to '" + to + "': Input/output error");
    return EnvWrapper::Rename(from, to);
  }
  int fail_writes_at_ = -1;
  int writes_ = 0;
  bool fail_rename_ = false;
};

TEST_F(CheckpointStoreTest, AFailedWriteLeavesThePreviousCheckpointValid) {
  FailingEnv env;
  CheckpointStore store(dir_, &env, 3);
  ASSERT_TRUE(store.Write(Parts("1"), {}).ok());
  env.fail_writes_at_ = env.writes_ + 1;  // the second part of the next checkpoint
  auto full = store.Write(Parts("2"), {});
  EXPECT_NE(full.status().message().find("No space left"), std::string::npos);
  env.fail_writes_at_ = -1;
  env.fail_rename_ = true;  // the manifest's publication
  EXPECT_FALSE(store.Write(Parts("3"), {}).ok());
  env.fail_rename_ = false;
  std::vector<std::string> skipped;
  EXPECT_EQ(Load(store, &skipped), "clock 1");
  auto retried = store.Write(Parts("4"), {});
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->id, 4u);
  EXPECT_EQ(Load(store, &skipped), "clock 4");
  EXPECT_EQ(store.List(false).size(), 2u);  // the unfinished ones are removed
}

}  // namespace
}  // namespace sluice::state
