#!/usr/bin/env bash
# Installs the built library into a temporary prefix, then builds examples/embed.cc against it
# twice, as an embedding program would: with CMake's find_package(Sluice) (examples/CMakeLists.txt)
# and with pkg-config. Both programs must run and print the example's output.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" > /dev/null
test -f "$tmp/prefix/include/sluice/engine.h"
lib=$(ls -d "$tmp"/prefix/lib*/ | head -1)

cmake -S "$src/examples" -B "$tmp/cmake" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" > /dev/null
cmake --build "$tmp/cmake" > /dev/null
"$tmp/cmake/embed" | tee "$tmp/cmake.out"
grep -q "AAPL" "$tmp/cmake.out"

export PKG_CONFIG_PATH="$lib/pkgconfig"
# shellcheck disable=SC2046
c++ -o "$tmp/pc_embed" "$src/examples/embed.cc" $(pkg-config --cflags --libs sluice) \
    -Wl,-rpath,"$lib"
"$tmp/pc_embed" > "$tmp/pc.out"
cmp "$tmp/cmake.out" "$tmp/pc.out"
echo "install test: find_package(Sluice) and pkg-config both build and run the example"
