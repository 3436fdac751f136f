#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite in three stages:
#   release  the Release build's unit and end-to-end tests (build/)
#   asan     the same tests built with AddressSanitizer and UBSan (build-asan/)
#   fuzz     a short libFuzzer run of every fuzz target on its corpus (build-fuzz/, clang)
# RDISPLAY_TEST_STAGES picks stages (default release,asan,fuzz); extra arguments go to
# ctest, e.g. RDISPLAY_TEST_STAGES=release scripts/test.sh -R unit
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
stages=",${RDISPLAY_TEST_STAGES:-release,asan,fuzz},"
fuzz_packages=()
[[ $stages == *,fuzz,* ]] && fuzz_packages=("${RDISPLAY_FUZZ_PACKAGES[@]}")
# shellcheck disable=SC2046  # word splitting of the node package list is meant
rdisplay_install "${RDISPLAY_PACKAGES[@]}" "${RDISPLAY_TEST_PACKAGES[@]}" "${fuzz_packages[@]}" $(rdisplay_node_packages)
jobs=$(nproc 2>/dev/null || echo 2)

if [[ $stages == *,release,* ]]; then
  echo "== release: unit and end-to-end tests"
  rdisplay_build
  rdisplay_install_playwright
  (cd "$RDISPLAY_BUILD_DIR" && ctest --output-on-failure -j 2 --timeout 600 "$@")
fi

if [[ $stages == *,asan,* ]]; then
  echo "== asan: the same tests with AddressSanitizer and UBSan"
  asan_dir="$RDISPLAY_ROOT/build-asan"
  (cd "$RDISPLAY_ROOT" && cmake --preset asan >/dev/null)
  cmake --build "$asan_dir" -j "$jobs"
  if [ -d "$RDISPLAY_BUILD_DIR/node" ]; then
    ln -sfn "$RDISPLAY_BUILD_DIR/node" "$asan_dir/node"  # the browser test's playwright-core
  else
    RDISPLAY_BUILD_DIR="$asan_dir" rdisplay_install_playwright
  fi
  # Leaks in the system libraries the programs load (X, SDL, fontconfig) are theirs, not
  # ours: tests/sanitizers/lsan.supp names them (SDL windows on a test display do not
  # check leaks at all: tests/support/xvfb.hpp says why). UB aborts at once.
  (cd "$asan_dir" && \
    ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" \
    LSAN_OPTIONS="suppressions=$RDISPLAY_ROOT/tests/sanitizers/lsan.supp:print_suppressions=0" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    RDISPLAY_SANITIZED=1 \
    ctest --output-on-failure -j 2 --timeout 900 "$@")
fi

if [[ $stages == *,fuzz,* ]]; then
  echo "== fuzz: every target for ${RDISPLAY_FUZZ_SECONDS:-30} s on its corpus"
  (cd "$RDISPLAY_ROOT" && cmake --preset fuzz >/dev/null)
  targets=(op_batch messages handshake tile_codec viewer_stream)
  cmake --build "$RDISPLAY_ROOT/build-fuzz" -j "$jobs" --target "${targets[@]/%/_fuzz}"
  for t in "${targets[@]}"; do
    work=$(mktemp -d)
    cp "$RDISPLAY_ROOT/tests/fuzz/corpus/$t/"* "$work/"
    "$RDISPLAY_ROOT/build-fuzz/tests/fuzz/${t}_fuzz" -max_total_time="${RDISPLAY_FUZZ_SECONDS:-30}" -max_len=8192 \
      -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$work/crash-" "$work" 2>&1 |
      grep -E "stat::number_of_executed_units|ERROR|SUMMARY|Test unit written" || true
    if ls "$work"/crash-* >/dev/null 2>&1; then
      echo "fuzz target $t crashed; the input is in $work" >&2
      exit 1
    fi
    rm -rf "$work"
  done
fi
