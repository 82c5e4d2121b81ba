// The state contract, end to end (Core 2): for every golden case that replays events, the state
// saved after any prefix of its input, restored into a fresh app that plays the rest, gives the
// output of the uninterrupted run, line for line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/replay_player.h"
#include "sluice/engine.h"
#include "test_files.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

using testing::ReadAll;

// An app in playback whose output is gathered as `sluice replay` prints it.
struct PlaybackApp {
  std::unique_ptr<AppRuntime> app;
  std::string out;        // as `sluice replay` prints it
  std::string changelog;  // as `sluice replay --changelog` prints it, tables' changes included

  explicit PlaybackApp(const std::string& text) {
    AppOptions options;
    options.playback = true;
    auto loaded = AppRuntime::Load(text, options);
    EXPECT_TRUE(loaded.ok()) << loaded.status().message();
    if (!loaded.ok()) return;
    app = std::move(loaded).value();
    EXPECT_TRUE(app->AddOutputCallback([this](const OutputBatch& b) {
                     runtime::AppendReplayOutput(&out, b);
                     runtime::AppendReplayOutput(&changelog, b, /*changelog=*/true);
                   })
                    .ok());
    for (const std::string& table : app->TableNames())
      EXPECT_TRUE(app->AddCallback(table,
                                   [this](const OutputBatch& b) {
                                     runtime::AppendReplayOutput(&changelog, b, /*changelog=*/true);
                                   })
                      .ok());
    EXPECT_TRUE(app->Start().ok());
  }
  // Plays lines [from, to); malformed lines are the case's own business (they are skipped).
  void Play(const std::vector<std::string>& lines, size_t from, size_t to) {
    runtime::ReplayPlayer player(app.get());
    for (size_t i = from; i < to; ++i) {
      Status st = player.Play(lines[i]);
      ASSERT_TRUE(st.ok() || st.code() == StatusCode::kInvalidArgument) << st.message();
    }
  }
  void Finish() {
    EXPECT_TRUE(app->FinishInput().ok());
    EXPECT_TRUE(app->Shutdown().ok());
  }
};

std::vector<std::string> ReplayCases() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(SLUICE_E2E_DIR))
    if (fs::exists(e.path() / "input.jsonl") && !fs::exists(e.path() / "expected_exit"))
      names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class StateRestore : public ::testing::TestWithParam<std::string> {};

TEST_P(StateRestore, AtEveryLineGivesTheUninterruptedOutput) {
  fs::path dir = fs::path(SLUICE_E2E_DIR) / GetParam();
  std::string text = ReadAll(dir / "app.sql");
  std::vector<std::string> input = testing::NonEmptyLines(ReadAll(dir / "input.jsonl"));
  PlaybackApp whole(text);
  ASSERT_TRUE(whole.app);
  whole.Play(input, 0, input.size());
  whole.Finish();
  ASSERT_EQ(whole.out, ReadAll(dir / "expected.jsonl"));

  for (size_t cut = 0; cut <= input.size(); ++cut) {
    PlaybackApp before(text);
    before.Play(input, 0, cut);
    Result<std::string> state = before.app->SnapshotState();
    ASSERT_TRUE(state.ok()) << state.status().message();
    std::string out = before.changelog;  // what the first app printed before it stopped

    PlaybackApp after(text);
    Status st = after.app->RestoreState(*state);
    ASSERT_TRUE(st.ok()) << "after line " << cut << ": " << st.message();
    after.Play(input, cut, input.size());
    after.Finish();
    EXPECT_EQ(out + after.changelog, whole.changelog)
        << "restored after line " << cut << " of " << input.size();
    if (out + after.changelog != whole.changelog)
      break;  // one cut is enough to see what went wrong
  }
}

INSTANTIATE_TEST_SUITE_P(GoldenCases, StateRestore, ::testing::ValuesIn(ReplayCases()),
                         testing::CaseTestName);

// A state is checked where it is read: another app's, a cut one, or bytes that are not a state
// at all are refused with a message, and the app does not run on half of it.
TEST(StateRestoreErrors, ForeignCutAndGarbageStatesAreRefused) {
  std::string text =
      "CREATE STREAM S (k STRING, v INT);\n"
      "@info(name='totals') INSERT INTO O SELECT k, sum(v) AS s FROM S GROUP BY k;\n";
  PlaybackApp a(text);
  ASSERT_TRUE(a.app);
  ASSERT_TRUE(a.app->GetInputHandler("S")->Send(1, {Value("x"), Value(int64_t{1})}).ok());
  std::string state = a.app->SnapshotState().value();

  PlaybackApp other(
      "CREATE STREAM S (k STRING, v INT);\n"
      "@info(name='counts') INSERT INTO O SELECT k, count() AS n FROM S GROUP BY k;\n");
  Status st = other.app->RestoreState(state);
  EXPECT_NE(st.message().find("the saved state of query 'totals': the app no longer has it"),
            std::string::npos)
      << st.message();
  // Refused before anything changed: the app still runs.
  EXPECT_TRUE(other.app->GetInputHandler("S")->Send(2, {Value("x"), Value(int64_t{1})}).ok());

  PlaybackApp cut(text);
  st = cut.app->RestoreState(std::string_view(state).substr(0, state.size() - 3));
  EXPECT_NE(st.message().find("corrupt state"), std::string::npos) << st.message();

  PlaybackApp garbage(text);
  st = garbage.app->RestoreState("not a state");
  EXPECT_NE(st.message().find("corrupt state"), std::string::npos) << st.message();

  PlaybackApp right(text);
  EXPECT_TRUE(right.app->RestoreState(state).ok());
  ASSERT_TRUE(right.app->GetInputHandler("S")->Send(2, {Value("x"), Value(int64_t{2})}).ok());
  EXPECT_NE(right.out.find("\"s\":3"), std::string::npos) << right.out;
}

TEST(StateRestoreErrors, ALiveAppSaysSnapshotsNeedCheckpoints) {
  auto app = AppRuntime::Load("CREATE STREAM S (v INT);\nINSERT INTO O SELECT v FROM S;\n", {});
  ASSERT_TRUE(app.ok());
  Result<std::string> state = (*app)->SnapshotState();
  EXPECT_EQ(state.status().code(), StatusCode::kNotSupported);
}

}  // namespace
}  // namespace sluice
