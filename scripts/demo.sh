#!/usr/bin/env bash
# The main job: rdisplay-server running a built-in demo app with rdisplay-viewer
# attached. With a display the viewer opens a window (close it to stop); without one
# it runs headless and writes a screenshot.  Usage: scripts/demo.sh [APP]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
rdisplay_install "${RDISPLAY_PACKAGES[@]}"
rdisplay_build

app=${1:-desktop}
out="$RDISPLAY_BUILD_DIR/demo"
mkdir -p "$out"
server="$RDISPLAY_BUILD_DIR/server/rdisplay-server"
viewer="$RDISPLAY_BUILD_DIR/client/rdisplay-viewer"

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  "$server" --app "$app" --port 0 --stats "$out/server-stats.json" >"$out/server.out" &
else
  "$server" --app "$app" --port 0 --frames 150 --stats "$out/server-stats.json" >"$out/server.out" &
fi
server_pid=$!
trap 'kill $server_pid 2>/dev/null || true' EXIT
# The server prints its address once it listens.
for _ in $(seq 1 200); do
  grep -q "listening on" "$out/server.out" 2>/dev/null && break
  kill -0 $server_pid 2>/dev/null || { echo "rdisplay-server did not start" >&2; exit 1; }
  sleep 0.05
done
port=$(sed -n 's/.*listening on [^ ]*:\([0-9]*\).*/\1/p' "$out/server.out")
echo "rdisplay-server: app $app on 127.0.0.1:$port"

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "rdisplay-viewer: close the window to stop"
  "$viewer" "rdisplay://127.0.0.1:$port" --stats "$out/viewer-stats.json" --screenshot "$out/$app.png"
else
  echo "rdisplay-viewer: no display, running headless for the app's 150-frame script"
  "$viewer" "rdisplay://127.0.0.1:$port" --headless --exit-when-idle 2000 \
    --stats "$out/viewer-stats.json" --screenshot "$out/$app.png"
fi
kill -TERM $server_pid
wait $server_pid || true
trap - EXIT

echo "screenshot:  $out/$app.png"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exit 0  # the app kept running after the window closed: nothing to compare
fi
hash_of() { sed -n 's/.*"\(surface_hash\|framebuffer_hash\)": "\([0-9a-f]*\)".*/\2/p' "$1"; }
echo "server hash: $(hash_of "$out/server-stats.json")"
echo "viewer hash: $(hash_of "$out/viewer-stats.json")"
if [ "$(hash_of "$out/server-stats.json")" = "$(hash_of "$out/viewer-stats.json")" ]; then
  echo "the viewer holds exactly the server's pixels"
else
  echo "the viewer's pixels differ from the server's" >&2
  exit 1
fi
