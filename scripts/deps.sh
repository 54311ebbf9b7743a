#!/usr/bin/env bash
# Installs what Folio needs that is missing on a Debian 12 machine, and says exactly what it could not do.
#   scripts/deps.sh          Debian packages for building and running the app
#   scripts/deps.sh --test   plus what the GUI end-to-end test needs (Xvfb, WebKitWebDriver, tauri-driver)
set -euo pipefail

packages=(build-essential pkg-config curl file libssl-dev libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev
  libayatana-appindicator3-dev)
if [ "${1:-}" = "--test" ]; then
  packages+=(xvfb xauth webkit2gtk-driver)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  cmd=(apt-get install -y --no-install-recommends "${missing[@]}")
  if [ "$(id -u)" = 0 ]; then
    echo "deps: installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${cmd[@]}" >/dev/null
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    echo "deps: installing ${missing[*]} (sudo)"
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive "${cmd[@]}" >/dev/null
  else
    echo "deps: missing Debian packages. Run:" >&2
    echo "  sudo apt-get update && sudo ${cmd[*]}" >&2
    exit 1
  fi
fi

need() { command -v "$1" >/dev/null || { echo "deps: $1 not found. $2" >&2; exit 1; }; }
need cargo "Install Rust with rustup: https://rustup.rs"
need python3 "Install it with: sudo apt-get install python3 python3-pip"
python3 -m pip --version >/dev/null 2>&1 || { echo "deps: pip not found. Install it with: sudo apt-get install python3-pip" >&2; exit 1; }
need node "Install Node.js 20.19 or newer (https://nodejs.org); Debian 12's nodejs 18 is too old for Vite 8."
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' || {
  echo "deps: Node.js $(node --version) is too old; Vite 8 needs 20.19 or newer." >&2; exit 1; }

if [ "${1:-}" = "--test" ] && ! command -v tauri-driver >/dev/null && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "deps: installing tauri-driver"
  cargo install tauri-driver --version '^2' --locked --quiet
fi
