#!/usr/bin/env bash
# Installs whatever Debian packages are missing (nothing when all are present) and
# builds rdisplay in Release mode into build/. Sourced by demo.sh and test.sh.
#   RDISPLAY_BUILD_DIR   build folder (default: build)
#   RDISPLAY_NO_INSTALL  set to 1 to never call apt-get
set -euo pipefail

RDISPLAY_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RDISPLAY_BUILD_DIR=${RDISPLAY_BUILD_DIR:-$RDISPLAY_ROOT/build}

# Build tools and the libraries the code links against (README, "Dependencies").
RDISPLAY_PACKAGES=(
  cmake ninja-build g++ pkg-config
  libzstd-dev libturbojpeg0-dev libjpeg62-turbo-dev libxxhash-dev libfreetype-dev fonts-dejavu-core libpng-dev
  libsdl2-dev libasio-dev libcli11-dev libspdlog-dev nlohmann-json3-dev doctest-dev
  libvncserver-dev novnc libssl-dev
  libx11-dev libxext-dev libxdamage-dev libxfixes-dev libxtst-dev libxrandr-dev xvfb
)
# What the tests start besides our own programs: a private X display and input for the
# viewer window, real X programs to stream (xterm, x11-apps; xev and xclip watch input
# and the clipboard; setxkbmap and xmodmap set keyboard layouts; openbox is the window manager
# that grants fullscreen), and the real VNC peers (viewers, servers, a browser for noVNC).
RDISPLAY_TEST_PACKAGES=(
  xvfb xdotool x11-apps xterm x11-utils x11-xkb-utils x11-xserver-utils xkb-data openbox xclip coreutils
  vncsnapshot tigervnc-viewer tigervnc-standalone-server x11vnc chromium
  tigervnc-scraping-server gnuplot-nox feh ffmpeg
)
# The fuzzing stage of the tests: clang's libFuzzer (tests/fuzz/, CMakePresets.json "fuzz").
RDISPLAY_FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev)
RDISPLAY_PLAYWRIGHT=playwright-core@1.49.1

rdisplay_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "${RDISPLAY_NO_INSTALL:-0}" = 1 ]; then
    echo "missing packages: ${missing[*]} (RDISPLAY_NO_INSTALL=1: not installing)" >&2
    return 1
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "missing packages: ${missing[*]}; run as root or install sudo" >&2; return 1; }
    sudo=sudo
  fi
  echo "installing: ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Node.js for the browser test: Debian's, unless one is on the PATH already.
rdisplay_node_packages() {
  command -v node >/dev/null && command -v npm >/dev/null || echo nodejs npm
}

# playwright-core drives Debian's Chromium in the noVNC test; npm puts it in the build tree.
rdisplay_install_playwright() {
  [ -d "$RDISPLAY_BUILD_DIR/node/node_modules/playwright-core" ] && return 0
  mkdir -p "$RDISPLAY_BUILD_DIR/node"
  echo "installing $RDISPLAY_PLAYWRIGHT (npm)"
  npm install --no-audit --no-fund --silent --prefix "$RDISPLAY_BUILD_DIR/node" "$RDISPLAY_PLAYWRIGHT" >/dev/null
}

rdisplay_build() {
  cmake -S "$RDISPLAY_ROOT" -B "$RDISPLAY_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  # Two jobs: the machines this runs on have two cores and little memory to spare.
  cmake --build "$RDISPLAY_BUILD_DIR" -j "$(nproc 2>/dev/null || echo 2)"
}
