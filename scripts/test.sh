#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (unit and end-to-end).
# Extra arguments go to ctest, e.g. scripts/test.sh -R unit
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
# shellcheck disable=SC2046  # word splitting of the node package list is meant
rdisplay_install "${RDISPLAY_PACKAGES[@]}" "${RDISPLAY_TEST_PACKAGES[@]}" $(rdisplay_node_packages)
rdisplay_build
rdisplay_install_playwright
cd "$RDISPLAY_BUILD_DIR"
ctest --output-on-failure -j 2 --timeout 600 "$@"
