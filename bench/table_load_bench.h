// The table load benchmark of sluice-bench (language.md, *Tables loaded from sources*): rows per
// second that a table loaded from a JSON-lines file takes (each row upserted by its key, its
// change on the table's changelog), beside a hand-written loop that parses the same file with
// simdjson into a hash map by key, in one run. The check: the final rows' count and sum.
#pragma once

namespace sluice::bench {

// Prints one line (a JSON line with `json`); returns non-zero when the results differ.
int RunTableLoadBenchmark(bool quick, bool json);

}  // namespace sluice::bench
