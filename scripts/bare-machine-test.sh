#!/usr/bin/env bash
# The bare-machine check (issue #15): a fresh clone, `npm install` ending without the optional `cap`
# addon (as where libpcap-dev is missing: its build fails and npm leaves it out), and `npm test` as an unprivileged user whose PATH has Node but no tshark, tcpdump, dumpcap or
# chromium, without CI in its environment. It must pass, skipping what needs those (or root), each
# skip with its reason; the skips are listed at the end.
#
#   sudo scripts/bare-machine-test.sh [REF] [DIR]
#
# REF: the commit or branch to test (default: HEAD of this checkout). DIR: where to clone it
# (default /tmp/zooroute-bare; removed first). Run as root, it creates the user `zr` (useradd -m) if
# missing and runs as zr; run as another user, it runs as that user. Needs the npm registry (the
# install) and about 10 minutes on two cores. The log is DIR.log; exit status is npm test's.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
ref=${1:-$(git -C "$src" rev-parse HEAD)}
dir=${2:-/tmp/zooroute-bare}
log="$dir.log"
bin="$dir.bin"
node_bin=$(command -v node)
npm_bin=$(command -v npm)

# A PATH of symlinks to /usr/bin and /bin minus the optional tools: the tests find tools on PATH.
hidden='^(tshark|tcpdump|dumpcap|chromium|chromium-browser|google-chrome.*|chrome)$'
rm -rf "$dir" "$bin"
mkdir -p "$bin"
for d in /usr/local/bin /usr/bin /bin; do
  [ -d "$d" ] || continue
  for f in "$d"/*; do
    n=$(basename "$f")
    [[ $n =~ $hidden ]] && continue
    [ -e "$bin/$n" ] || ln -s "$f" "$bin/$n"
  done
done
ln -sf "$node_bin" "$bin/node"
ln -sf "$npm_bin" "$bin/npm"
for t in tshark tcpdump chromium; do
  if PATH=$bin command -v "$t" >/dev/null; then echo "bare-machine: $t is still on PATH" >&2; exit 1; fi
done

git clone -q --no-local "$src" "$dir"
git -C "$dir" checkout -q "$ref"

if [ "$(id -u)" = 0 ]; then
  id zr >/dev/null 2>&1 || useradd -m zr
  chown -R zr: "$dir"
  chmod 755 "$bin"
  as=(runuser -u zr --)
  home=$(getent passwd zr | cut -d: -f6)
else
  as=()
  home=$HOME
fi

# A clean environment: no CI, no inherited npm settings, nothing but what a new user's shell has.
run() { "${as[@]}" env -i HOME="$home" PATH="$bin" LANG=C.UTF-8 TERM=dumb "$@"; }

cd "$dir"
echo "bare-machine: $(git -C "$src" log --oneline -1 "$ref") in $dir as $("${as[@]}" id -un), PATH=$bin (no tshark, tcpdump, chromium)" | tee "$log"
# Not --omit=optional: that would also drop esbuild's platform binary, which tsx needs. Where cap's
# build fails for want of libpcap-dev, npm leaves cap out; where it builds, it is removed here.
run npm install --no-audit --no-fund 2>&1 | tee -a "$log"
rm -rf node_modules/cap
if run node -e "require('cap')" 2>/dev/null; then echo "bare-machine: cap still loads" | tee -a "$log"; exit 1; fi
set +e
run npm test -- --reporter=tap 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}
set -e

echo "==== skipped (reason) ====" | tee -a "$log"
grep -E '^ *ok [0-9]+ - .* # SKIP' "$log" | sed -E 's/^ *ok [0-9]+ - //' | sort | uniq -c | tee -a "$log" || true
echo "==== totals ====" | tee -a "$log"
grep -E '^# \{ total' "$log" | tail -1 | tee -a "$log" || true
echo "bare-machine: npm test exited $status; log $log"
exit "$status"
