#!/usr/bin/env bash
# Takes the screenshots in docs/screenshots/ again: the real viewer window on a private
# Xvfb at 1:1, fitted, fullscreen and with the HUD, each checked against the server's
# pixels by the end-to-end test that takes it (tests/e2e/window_e2e_test.cpp).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
rdisplay_install "${RDISPLAY_PACKAGES[@]}" "${RDISPLAY_TEST_PACKAGES[@]}"
rdisplay_build
out="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/docs/screenshots"
RDISPLAY_SCREENSHOT_DIR="$out" "$RDISPLAY_BUILD_DIR/tests/e2e_tests" -tc="e2e viewer window*"
echo "screenshots in $out"
