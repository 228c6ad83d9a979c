#!/usr/bin/env bash
# Make sure a Chinese font is installed for certificate faces (certs/fonts.py looks for it):
# Noto Sans/Serif CJK from Debian's fonts-noto-cjk. Idempotent: does nothing when one is there.
#
#   bash scripts/fonts.sh                  install if root with apt-get, else say what to do
#   REQUIRE_FONTS=1 bash scripts/fonts.sh  and exit 1 when there is still no font (CI)
set -euo pipefail

debian_font=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

have_cjk_font() {
  if [ -n "${APPROVALS_FONT:-}" ] && [ -r "${APPROVALS_FONT}" ]; then
    return 0 # certs/fonts.py still checks that it covers Simplified Chinese
  fi
  if [ -r "$debian_font" ]; then
    return 0
  fi
  command -v fc-list >/dev/null 2>&1 \
    && fc-list ':lang=zh' family 2>/dev/null | grep -qiE 'Noto (Sans|Serif) CJK'
}

if have_cjk_font; then
  exit 0
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "fonts: installing fonts-noto-cjk (Noto Sans/Serif CJK, ~90 MB) for certificate faces"
  export DEBIAN_FRONTEND=noninteractive
  # the package lists may be missing or stale on a fresh machine: update only if needed
  apt-get install -y -qq --no-install-recommends fonts-noto-cjk >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends fonts-noto-cjk >/dev/null; } \
    || true
  if have_cjk_font; then
    echo "fonts: fonts-noto-cjk installed"
    exit 0
  fi
  echo "fonts: installing fonts-noto-cjk failed" >&2
fi

cat >&2 <<'EOF'
fonts: no Chinese font found; certificate faces (PNG/PDF) cannot be rendered without one.
  Debian/Ubuntu:  sudo apt-get install --no-install-recommends fonts-noto-cjk   (or: sudo make fonts)
  elsewhere:      install Noto Sans CJK SC and set APPROVALS_FONT=/path/to/NotoSansCJK-Regular.ttc
EOF
if [ "${REQUIRE_FONTS:-0}" = 1 ]; then
  exit 1
fi
exit 0
