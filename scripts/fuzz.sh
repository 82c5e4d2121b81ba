#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang under AddressSanitizer and UBSan, seeds each
# corpus from the project's own inputs (tests/e2e, the seed apps), and runs every target for
# FUZZ_SECONDS (default 60). A crash, a hang or a leak fails the run; the input that caused it is
# left in build-fuzz/artifacts/<target>/ and belongs in tests/fuzz_regressions/<target>/ with the
# fix, so that it is replayed by the test suite from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD:-build-fuzz}
cxx=$(command -v clang++-14 || command -v clang++)
cc=$(command -v clang-14 || command -v clang)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_C_COMPILER="$cc" -DSLUICE_FUZZ=ON -DSLUICE_SANITIZE=address,undefined \
  -DSLUICE_BUILD_TESTS=OFF > /dev/null
cmake --build "$build" -j "$(nproc)" --target app_fuzzer json_fuzzer csv_fuzzer replay_fuzzer

# Seeds: the apps of the golden cases and the seed apps; their events, one line each.
seeds="$build/seeds"
rm -rf "$seeds"
mkdir -p "$seeds"/{app,json,csv,replay}
i=0
for f in tests/e2e/*/app.sql tests/seed_apps/*.sql tests/fuzz_regressions/app/*; do
  [ -f "$f" ] && cp "$f" "$seeds/app/$((i++))"
done
for f in tests/e2e/*/input.jsonl tests/fuzz_regressions/replay/*; do
  [ -f "$f" ] && cp "$f" "$seeds/replay/$((i++))"
done
for f in tests/e2e/*/input.jsonl; do
  while IFS= read -r line; do printf '%s' "$line" > "$seeds/json/$((i++))"; done < "$f"
done
cp tests/fuzz_regressions/json/* "$seeds/json/"
printf ',#b,i,l,f,d,m,s,t\ntrue,1,2,3.5,4.5,1.25,"a ""b""",2026-01-01T00:00:00Z\n' > "$seeds/csv/header"
printf ';true;1;2;3.5;4.5;1.25;x;5\n;;;;;;;;\n' > "$seeds/csv/plain"
cp tests/fuzz_regressions/csv/* "$seeds/csv/"

status=0
for target in app json csv replay; do
  corpus="$build/corpus/$target"
  artifacts="$build/artifacts/$target/"
  mkdir -p "$corpus" "$artifacts"
  echo "== fuzz $target for ${seconds}s"
  # -max_len: apps may be long (deep nesting needs tens of KB); events are lines.
  max_len=4096
  [ "$target" = app ] && max_len=65536
  if ! ASAN_OPTIONS=detect_leaks=1 "$build/${target}_fuzzer" -max_total_time="$seconds" \
      -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" -print_final_stats=1 \
      -artifact_prefix="$artifacts" "$corpus" "$seeds/$target" 2> "$build/$target.log"; then
    status=1
    echo "fuzz $target FAILED: see $build/$target.log and $artifacts" >&2
    tail -40 "$build/$target.log" >&2
  else
    grep -E "stat::number_of_executed_units|cov:" "$build/$target.log" | tail -2
  fi
done
exit $status
