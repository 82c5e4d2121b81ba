// `sluice test` (docs/testing.md): test files that run an app over input events in event time and
// compare what it inserts with what is expected, printing a readable diff; and the comparison
// `sluice replay --expect` makes with the same rules.
#pragma once

#include <string>
#include <vector>

#include "sluice/engine.h"

namespace sluice::tools {

// Runs every test file of `paths` (a directory: every *.test under it, in name order). Prints
// PASS or FAIL with a diff per file and a summary. 0: all passed; 1: one failed; 2: a test file
// is malformed or missing.
int RunTests(const std::vector<std::string>& paths);

// What an app inserted, in order: the `replay` lines ({"stream":..,"ts":..,"op":..,"data":..}).
class OutputRecorder {
 public:
  // Records the streams queries insert into (`streams` non-empty: only those), and table
  // changelogs named in `streams`. Before Start().
  Status Attach(AppRuntime* app, const std::vector<std::string>& streams);
  struct Row {
    std::string stream;
    int64_t ts = 0;
    std::string op;
    std::string data;  // {"a":1,...} in schema order
  };
  const std::vector<Row>& rows() const { return rows_; }

 private:
  std::vector<Row> rows_;
};

// Compares `expected_lines` (replay output lines, in any spacing and key order; "op" and "ts"
// compared only where given; `first_line` numbers them in messages) with `actual`. Appends a diff
// to *diff and returns true when they match. `stream`: the stream of lines that are bare data
// objects; empty: each line names its "stream". `ordered`: as a sequence, else as a multiset.
// `only` non-empty: expected lines of other streams are left out. An expected line that is not
// valid is an error naming its line.
Result<bool> CompareRows(AppRuntime* app, const std::vector<std::string>& expected_lines,
                         int first_line, const std::string& stream,
                         const std::vector<OutputRecorder::Row>& actual, bool ordered,
                         std::string* diff, const std::vector<std::string>& only = {});

}  // namespace sluice::tools
