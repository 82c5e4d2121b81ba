#include "tools/test_runner.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "common/format.h"
#include "connectors/csv_codec.h"
#include "connectors/json_codec.h"
#include "runtime/replay_player.h"

namespace sluice::tools {

namespace fs = std::filesystem;

namespace {

constexpr int kPassed = 0, kFailed = 1, kBadFile = 2;

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> SplitWords(const std::string& s) {
  std::vector<std::string> words;
  std::istringstream in(s);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

struct Expected {
  int line = 0;
  std::string text;  // as written
  std::string stream;
  bool has_ts = false;
  int64_t ts = 0;
  std::string op;
  std::string data;
};

bool Matches(const Expected& e, const OutputRecorder::Row& a) {
  return e.stream == a.stream && (!e.has_ts || e.ts == a.ts) && (e.op.empty() || e.op == a.op) &&
         e.data == a.data;
}

// An actual row in the shape of the expected ones.
std::string Show(const OutputRecorder::Row& a, bool stream, bool ts, bool op) {
  std::string s = "{";
  if (stream) s += "\"stream\":\"" + a.stream + "\",";
  if (ts) s += "\"ts\":" + std::to_string(a.ts) + ",";
  if (op) s += "\"op\":\"" + a.op + "\",";
  if (s.size() == 1) return a.data;
  return s + "\"data\":" + a.data + "}";
}

Status ParseExpected(AppRuntime* app, const std::string& line, int line_no,
                     const std::string& stream, Expected* out) {
  out->line = line_no;
  out->text = line;
  connectors::ReplayLine rl;
  std::string payload;
  Status envelope = connectors::ParseReplayLine(line, &rl);
  if (!envelope.ok() && !stream.empty() && line.size() > 1 && line[0] == '{') {
    // {"ts":..,"data":{..}} under EXPECT <stream>: the stream is the section's.
    std::string named = "{\"stream\":\"" + stream + "\"," + line.substr(1);
    if (line.find_first_not_of(" \t", 1) != std::string::npos &&
        line[line.find_first_not_of(" \t", 1)] == '}')
      named = "{\"stream\":\"" + stream + "\"}";
    envelope = connectors::ParseReplayLine(named, &rl);
  }
  if (envelope.ok() && rl.is_advance)
    return Status::InvalidArgument("line " + std::to_string(line_no) +
                                   ": advance_to belongs to the input, not to what is expected");
  if (envelope.ok()) {
    if (!stream.empty() && rl.stream != stream)
      return Status::InvalidArgument("line " + std::to_string(line_no) + ": a row of '" +
                                     rl.stream + "' under EXPECT " + stream);
    out->stream = rl.stream;
    out->has_ts = rl.has_ts;
    out->ts = rl.ts;
    out->op = rl.op;
    payload = rl.payload;
  } else if (!stream.empty()) {
    out->stream = stream;
    payload = line;  // the row's data alone
  } else {
    return Status::InvalidArgument("line " + std::to_string(line_no) + ": " + envelope.message());
  }
  const Schema* schema = app->GetSchema(out->stream);
  if (!schema)
    return Status::InvalidArgument("line " + std::to_string(line_no) + ": the app has no stream '" +
                                   out->stream + "'");
  // Decoded into the stream's types and written back: spacing, key order and 1 vs 1.0 do not
  // matter, the values do.
  connectors::JsonRowDecoder decoder(*schema);
  Batch row(*schema);
  row.AddRow(0);
  Status st = decoder.Decode(payload, &row, 0);
  if (!st.ok())
    return Status::InvalidArgument("line " + std::to_string(line_no) + ": not a row of '" +
                                   out->stream + "': " + st.message());
  connectors::AppendJsonObject(&out->data, *schema, row, 0);
  return Status::OK();
}

// The shortest edit from `e` to `a`, as lines: ' ' both, '-' expected only, '+' actual only.
std::vector<std::pair<char, size_t>> Edit(const std::vector<Expected>& e,
                                          const std::vector<OutputRecorder::Row>& a) {
  size_t n = e.size(), m = a.size();
  std::vector<std::pair<char, size_t>> ops;
  if (n * m > 4'000'000) {  // too long for a table: position by position
    for (size_t i = 0; i < std::max(n, m); ++i) {
      if (i < n && i < m && Matches(e[i], a[i])) {
        ops.push_back({' ', i});
        continue;
      }
      if (i < n) ops.push_back({'-', i});
      if (i < m) ops.push_back({'+', i});
    }
    return ops;
  }
  std::vector<std::vector<uint32_t>> lcs(n + 1, std::vector<uint32_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;)
    for (size_t j = m; j-- > 0;)
      lcs[i][j] =
          Matches(e[i], a[j]) ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && Matches(e[i], a[j])) {
      ops.push_back({' ', i++});
      ++j;
    } else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      ops.push_back({'+', j++});
    } else {
      ops.push_back({'-', i++});
    }
  }
  return ops;
}

}  // namespace

Status OutputRecorder::Attach(AppRuntime* app, const std::vector<std::string>& streams) {
  auto record = [this](const OutputBatch& out) {
    for (size_t r = 0; r < out.batch->num_rows(); ++r) {
      Row row;
      row.stream = std::string(out.stream);
      row.ts = out.batch->timestamp(r);
      row.op = ChangeKindName(out.batch->kind(r));
      connectors::AppendJsonObject(&row.data, *out.schema, *out.batch, r);
      rows_.push_back(std::move(row));
    }
  };
  if (streams.empty()) return app->AddOutputCallback(record);
  for (const std::string& s : streams) RETURN_IF_ERROR(app->AddCallback(s, record));
  return Status::OK();
}

Result<bool> CompareRows(AppRuntime* app, const std::vector<std::string>& expected_lines,
                         int first_line, const std::string& stream,
                         const std::vector<OutputRecorder::Row>& actual, bool ordered,
                         std::string* diff, const std::vector<std::string>& only) {
  std::vector<Expected> expected;
  bool show_ts = false, show_op = false;
  for (size_t i = 0; i < expected_lines.size(); ++i) {
    std::string line = Trim(expected_lines[i]);
    if (line.empty()) continue;
    Expected e;
    RETURN_IF_ERROR(ParseExpected(app, line, first_line + static_cast<int>(i), stream, &e));
    if (!only.empty() && std::find(only.begin(), only.end(), e.stream) == only.end()) continue;
    show_ts |= e.has_ts;
    show_op |= !e.op.empty();
    expected.push_back(std::move(e));
  }
  if (expected.empty()) show_ts = true;
  bool show_stream = stream.empty();
  auto shown = [&](const OutputRecorder::Row& a) { return Show(a, show_stream, show_ts, show_op); };
  if (!ordered) {
    std::vector<bool> used(actual.size(), false);
    std::string missing, extra;
    for (const Expected& e : expected) {
      bool found = false;
      for (size_t j = 0; j < actual.size() && !found; ++j)
        if (!used[j] && Matches(e, actual[j])) used[j] = found = true;
      if (!found) missing += "    - line " + std::to_string(e.line) + ": " + e.text + "\n";
    }
    for (size_t j = 0; j < actual.size(); ++j)
      if (!used[j]) extra += "    + " + shown(actual[j]) + "\n";
    if (missing.empty() && extra.empty()) return true;
    *diff += missing + extra;
    return false;
  }
  std::vector<std::pair<char, size_t>> ops = Edit(expected, actual);
  bool same = std::all_of(ops.begin(), ops.end(), [](const auto& op) { return op.first == ' '; });
  if (same) return true;
  // The changes, with two lines of context around each.
  std::vector<bool> near(ops.size(), false);
  for (size_t k = 0; k < ops.size(); ++k) {
    if (ops[k].first == ' ') continue;
    for (size_t c = (k >= 2 ? k - 2 : 0); c <= k + 2 && c < ops.size(); ++c) near[c] = true;
  }
  bool skipped = false;
  for (size_t k = 0; k < ops.size(); ++k) {
    if (!near[k]) {
      if (!skipped) *diff += "      ...\n";
      skipped = true;
      continue;
    }
    skipped = false;
    const auto& [kind, index] = ops[k];
    if (kind == '+') {
      *diff += "    + " + shown(actual[index]) + "\n";
    } else {
      const Expected& e = expected[index];
      *diff +=
          std::string("    ") + kind + " line " + std::to_string(e.line) + ": " + e.text + "\n";
    }
  }
  return false;
}

namespace {

// One part of a test file: a header line and the lines under it.
struct Part {
  std::string kind;                // APP, INPUT, ADVANCE, EXPECT, OPTION
  std::vector<std::string> words;  // of the header, after the kind
  int line = 0;
  std::vector<std::string> body;
};

bool IsHeader(const std::string& line, std::string* kind) {
  std::vector<std::string> w = SplitWords(line);
  if (w.empty()) return false;
  std::string k = Upper(w[0]);
  if (k != "APP" && k != "INPUT" && k != "ADVANCE" && k != "EXPECT" && k != "OPTION") return false;
  *kind = k;
  return true;
}

Result<std::vector<Part>> ParseTestFile(const std::string& text) {
  std::vector<Part> parts;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string t = Trim(line);
    std::string kind;
    bool in_app = !parts.empty() && parts.back().kind == "APP";
    if (IsHeader(t, &kind)) {
      Part p;
      p.kind = kind;
      p.words = SplitWords(t);
      p.words.erase(p.words.begin());
      p.line = n;
      parts.push_back(std::move(p));
      continue;
    }
    if (!in_app && (t.empty() || t.rfind("--", 0) == 0 || t[0] == '#')) continue;
    // Events after an ADVANCE TO go on with the input.
    if (!parts.empty() && parts.back().kind == "ADVANCE") {
      Part p;
      p.kind = "INPUT";
      p.line = n - 1;
      parts.push_back(std::move(p));
    }
    if (parts.empty())
      return Status::InvalidArgument(
          std::to_string(n) + ": expected APP, INPUT, ADVANCE TO, EXPECT or OPTION before '" + t +
          "'");
    parts.back().body.push_back(line);
  }
  return parts;
}

struct Outcome {
  bool passed = true;
  std::string report;
};

// Sends the CSV rows of an `INPUT <stream> CSV` part: a header, then a row per line; a column
// `ts` (when the stream has no such attribute) is the event's time.
Status PlayCsv(AppRuntime* app, const Part& part, const std::string& stream) {
  InputHandler* in = app->GetInputHandler(stream);
  if (!in)
    return Status::InvalidArgument("line " + std::to_string(part.line) +
                                   ": the app has no stream '" + stream + "' to send into");
  std::vector<std::string> header, fields;
  size_t i = 0;
  for (; i < part.body.size() && Trim(part.body[i]).empty(); ++i) {
  }
  if (i == part.body.size()) return Status::OK();
  connectors::SplitCsv(Trim(part.body[i]), ',', &header);
  int header_line = part.line + 1 + static_cast<int>(i);
  int ts_field = -1;
  for (size_t f = 0; f < header.size(); ++f) {
    header[f] = Trim(header[f]);
    if (header[f] == "ts" && in->schema().IndexOf("ts") < 0) ts_field = static_cast<int>(f);
  }
  std::vector<std::string> names = header;
  if (ts_field >= 0) names.erase(names.begin() + ts_field);
  std::vector<int> columns;
  if (Status st = connectors::CsvHeaderColumns(names, in->schema(), &columns); !st.ok())
    return Status::InvalidArgument("line " + std::to_string(header_line) + ": " + st.message());
  if (ts_field < 0 && in->event_time_attribute() < 0)
    return Status::InvalidArgument("line " + std::to_string(header_line) + ": stream '" + stream +
                                   "' has no event-time attribute: give a ts column");
  Batch batch(in->schema());
  for (++i; i < part.body.size(); ++i) {
    std::string row = Trim(part.body[i]);
    if (row.empty() || row.rfind("--", 0) == 0) continue;
    std::string where = "line " + std::to_string(part.line + 1 + static_cast<int>(i)) + ": ";
    if (!connectors::SplitCsv(row, ',', &fields))
      return Status::InvalidArgument(where + "unterminated quote");
    int64_t ts = 0;
    if (ts_field >= 0) {
      if (static_cast<size_t>(ts_field) >= fields.size() ||
          !ParseInt64(Trim(fields[static_cast<size_t>(ts_field)]), &ts))
        return Status::InvalidArgument(where + "ts must be milliseconds");
      fields.erase(fields.begin() + ts_field);
    }
    batch.Clear();
    batch.AddRow(ts);
    if (Status st = connectors::DecodeCsvFields(fields, columns, in->schema(), &batch, 0); !st.ok())
      return Status::InvalidArgument(where + st.message());
    if (Status st = in->SendBatch(batch); !st.ok())
      return Status::InvalidArgument(where + st.message());
  }
  return Status::OK();
}

}  // namespace

namespace {

// Runs one test file; a malformed file is an error (exit 2), a failed expectation an outcome.
Result<Outcome> RunOne(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::NotFound("cannot read " + path.string());
  std::stringstream text;
  text << file.rdbuf();
  auto bad = [&](const Status& st) {
    return Status::InvalidArgument(path.string() + ":" + st.message());
  };
  Result<std::vector<Part>> parsed = ParseTestFile(text.str());
  if (!parsed.ok()) return bad(parsed.status());
  const std::vector<Part>& parts = *parsed;
  const Part* app_part = nullptr;
  bool final_flush = true;
  const Part* expect_error = nullptr;
  std::vector<std::string> streams;  // named by EXPECT parts
  std::map<std::string, int> named_at;
  bool all_output = false;
  for (const Part& p : parts) {
    std::string where = std::to_string(p.line) + ": ";
    if (p.kind == "APP") {
      if (app_part) return bad(Status::InvalidArgument(where + "a second APP"));
      app_part = &p;
    } else if (p.kind == "OPTION") {
      if (p.words.size() != 1 || Upper(p.words[0]) != "NO-FINAL-FLUSH")
        return bad(Status::InvalidArgument(where + "the one OPTION is no-final-flush"));
      final_flush = false;
    } else if (p.kind == "ADVANCE") {
      int64_t ms;
      if (p.words.size() != 2 || Upper(p.words[0]) != "TO" || !ParseInt64(p.words[1], &ms))
        return bad(Status::InvalidArgument(where + "expected ADVANCE TO <milliseconds>"));
      if (!p.body.empty())
        return bad(Status::InvalidArgument(where + "ADVANCE TO stands alone on its line"));
    } else if (p.kind == "INPUT") {
      if (!(p.words.empty() || (p.words.size() == 2 && Upper(p.words[1]) == "CSV")))
        return bad(Status::InvalidArgument(
            where + "expected INPUT (replay lines) or INPUT <stream> CSV (a header, then rows)"));
      for (size_t i = 0; p.words.empty() && i < p.body.size(); ++i) {
        std::string t = Trim(p.body[i]);
        if (t.empty() || !std::isalpha(static_cast<unsigned char>(t[0]))) continue;
        // A word where an event belongs: most likely a part's header, misspelt.
        return bad(Status::InvalidArgument(
            std::to_string(p.line + 1 + static_cast<int>(i)) + ": '" + t +
            "' is neither an event (a JSON line) nor a part (APP, INPUT, ADVANCE TO, EXPECT, "
            "OPTION)"));
      }
    } else if (p.kind == "EXPECT") {
      if (p.words.empty())
        return bad(Status::InvalidArgument(
            where +
            "expected EXPECT <stream> [UNORDERED], EXPECT OUTPUT [UNORDERED] or EXPECT "
            "ERROR"));
      std::string what = Upper(p.words[0]);
      bool unordered = p.words.size() == 2 && Upper(p.words[1]) == "UNORDERED";
      if (p.words.size() > 2 || (p.words.size() == 2 && !unordered))
        return bad(Status::InvalidArgument(where + "after EXPECT " + p.words[0] +
                                           " only UNORDERED may follow"));
      if (what == "ERROR") {
        expect_error = &p;
      } else if (what == "OUTPUT") {
        all_output = true;
      } else {
        streams.push_back(p.words[0]);
        named_at.emplace(p.words[0], p.line);
      }
    }
  }
  if (!app_part) return bad(Status::InvalidArgument("1: no APP: name the app's file or write it"));
  if (!app_part->words.empty()) {
    for (size_t i = 0; i < app_part->body.size(); ++i) {
      std::string t = Trim(app_part->body[i]);
      if (t.empty() || t.rfind("--", 0) == 0 || t[0] == '#') continue;
      return bad(Status::InvalidArgument(
          std::to_string(app_part->line + 1 + static_cast<int>(i)) + ": 'APP " +
          app_part->words[0] + "' takes no lines under it, got '" + t +
          "' (parts start with APP, INPUT, ADVANCE TO, EXPECT or OPTION)"));
    }
  }
  bool expects = false;
  for (const Part& p : parts) expects |= p.kind == "EXPECT";
  if (!expects)
    return bad(Status::InvalidArgument(
        "1: no EXPECT: the test would check nothing (EXPECT <stream> with no rows expects none)"));
  // The app: a file next to the test, or written under APP (then its errors have the test file's
  // line numbers).
  std::string app_text, app_name;
  AppOptions options;
  options.playback = true;
  if (!app_part->words.empty()) {
    fs::path app_path = path.parent_path() / app_part->words[0];
    std::ifstream app_file(app_path, std::ios::binary);
    if (!app_file)
      return bad(Status::InvalidArgument(std::to_string(app_part->line) + ": cannot read the app " +
                                         app_path.string()));
    std::stringstream t;
    t << app_file.rdbuf();
    app_text = t.str();
    app_name = app_path.string();
    options.base_dir = app_path.parent_path().string();
  } else {
    app_text = std::string(static_cast<size_t>(app_part->line), '\n');
    for (const std::string& l : app_part->body) app_text += l + "\n";
    app_name = path.string();
    options.base_dir = path.parent_path().string();
  }
  options.file_name = app_name;
  Outcome outcome;
  auto fail = [&](const std::string& what) {
    outcome.passed = false;
    outcome.report += "  " + what + "\n";
  };
  auto loaded = AppRuntime::Load(app_text, options);
  if (expect_error) {
    if (loaded.ok()) {
      fail("expected the app to be refused (EXPECT ERROR, line " +
           std::to_string(expect_error->line) + "), but it loaded");
      return outcome;
    }
    for (size_t i = 0; i < expect_error->body.size(); ++i) {
      std::string want = Trim(expect_error->body[i]);
      if (want.empty()) continue;
      if (loaded.status().message().find(want) == std::string::npos)
        fail("line " + std::to_string(expect_error->line + 1 + static_cast<int>(i)) +
             ": the error does not say: " + want);
    }
    if (!outcome.passed) outcome.report += "  the error was:\n" + loaded.status().message() + "\n";
    return outcome;
  }
  if (!loaded.ok()) {
    fail("the app did not load:\n" + loaded.status().message());
    return outcome;
  }
  std::unique_ptr<AppRuntime> app = std::move(loaded).value();
  OutputRecorder recorder;
  std::vector<std::string> tapped = streams;
  if (all_output) {
    tapped.clear();
    for (const std::string& s : streams)
      for (const std::string& t : app->TableNames())
        if (s == t) tapped.push_back(s);
  }
  std::sort(tapped.begin(), tapped.end());
  tapped.erase(std::unique(tapped.begin(), tapped.end()), tapped.end());
  for (const std::string& s : tapped)
    if (!app->GetSchema(s))
      return bad(Status::InvalidArgument(std::to_string(named_at[s]) + ": EXPECT " + s +
                                         ": the app has no stream or table '" + s + "'"));
  OutputRecorder all;
  if (all_output) RETURN_IF_ERROR(all.Attach(app.get(), {}));
  if (!tapped.empty()) RETURN_IF_ERROR(recorder.Attach(app.get(), tapped));
  RETURN_IF_ERROR(app->Start());
  runtime::ReplayPlayer player(app.get());
  for (const Part& p : parts) {
    if (p.kind == "ADVANCE") {
      int64_t ms = 0;
      ParseInt64(p.words[1], &ms);
      if (Status st = app->AdvanceTime(ms); !st.ok())
        fail("line " + std::to_string(p.line) + ": " + st.message());
    } else if (p.kind == "INPUT" && p.words.empty()) {
      for (size_t i = 0; i < p.body.size(); ++i) {
        std::string line = Trim(p.body[i]);
        int n = p.line + 1 + static_cast<int>(i);
        Status st = player.Play(line);
        if (!st.ok()) fail("line " + std::to_string(n) + ": " + st.message());
      }
    } else if (p.kind == "INPUT") {
      if (Status st = PlayCsv(app.get(), p, p.words[0]); !st.ok()) fail(st.message());
    }
  }
  if (final_flush) {
    if (Status st = app->FinishInput(); !st.ok()) fail("at the end of the input: " + st.message());
  }
  if (Status st = app->Shutdown(); !st.ok()) fail("the app failed: " + st.message());
  // Every part's expectation, against what was recorded.
  for (const Part& p : parts) {
    if (p.kind != "EXPECT" || Upper(p.words[0]) == "ERROR") continue;
    bool unordered = p.words.size() == 2;
    bool output = Upper(p.words[0]) == "OUTPUT";
    std::vector<OutputRecorder::Row> rows;
    if (output) {
      rows = all.rows();
    } else {
      for (const auto& r : recorder.rows())
        if (r.stream == p.words[0]) rows.push_back(r);
    }
    std::string diff;
    Result<bool> same = CompareRows(app.get(), p.body, p.line + 1, output ? "" : p.words[0], rows,
                                    !unordered, &diff);
    if (!same.ok()) return bad(same.status());
    if (!*same)
      fail("EXPECT " + p.words[0] + (unordered ? " UNORDERED" : "") + " (line " +
           std::to_string(p.line) + "): " + std::to_string(rows.size()) +
           " row(s), not as expected\n" + diff);
  }
  return outcome;
}

}  // namespace

int RunTests(const std::vector<std::string>& paths) {
  std::vector<fs::path> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> found;
      for (const auto& e : fs::recursive_directory_iterator(p, ec))
        if (e.is_regular_file() && e.path().extension() == ".test") found.push_back(e.path());
      std::sort(found.begin(), found.end());
      if (found.empty()) {
        std::fprintf(stderr, "sluice: no *.test file under %s\n", p.c_str());
        return kBadFile;
      }
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(p, ec)) {
      files.emplace_back(p);
    } else {
      std::fprintf(stderr, "sluice: no test file %s\n", p.c_str());
      return kBadFile;
    }
  }
  int passed = 0, failed = 0, broken = 0;
  for (const fs::path& f : files) {
    Result<Outcome> r = RunOne(f);
    if (!r.ok()) {
      ++broken;
      std::printf("ERROR %s\n  %s\n", f.string().c_str(), r.status().message().c_str());
      continue;
    }
    if (r->passed) {
      ++passed;
      std::printf("PASS  %s\n", f.string().c_str());
    } else {
      ++failed;
      std::printf("FAIL  %s\n%s", f.string().c_str(), r->report.c_str());
    }
  }
  std::printf("%d passed, %d failed%s\n", passed, failed,
              broken ? (", " + std::to_string(broken) + " could not run").c_str() : "");
  std::fflush(stdout);
  return broken ? kBadFile : failed ? kFailed : kPassed;
}

}  // namespace sluice::tools
