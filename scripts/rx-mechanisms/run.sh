#!/bin/bash
# AF_PACKET (TPACKET_V3) against AF_XDP receive on a veth, the measurement behind docs/io.md's "Why
# TPACKET_V3 and not AF_XDP". As root:
#
#   bash scripts/rx-mechanisms/run.sh [SECONDS=5] [ROUNDS=3] [PAYLOAD=22]
#
# Two namespaces joined by a veth. In the sender's, test/e2e/udp-blast.c sends UDP datagrams as fast as
# the kernel takes them (8 flows, sendmmsg of 32) to an address in the receiver's, where
# scripts/rx-mechanisms/rx-sink.c takes every frame through one mechanism (an nftables rule drops the
# datagrams at the receiver's input hook, as the agent lab does with VXLAN). Rounds alternate the
# mechanisms. Per run: frames the sink got per second, the drops the kernel counted, and the CPU of
# the whole path per frame the sink got: sender + sink + both ksoftirqd threads (utime + stime). On veth
# the receive side's kernel work runs in the sender's context (softirq, charged to whoever the tick
# finds), so the sink's own CPU alone would hide the difference between the mechanisms.
set -euo pipefail
SECONDS_RUN=${1:-5}
ROUNDS=${2:-3}
PAYLOAD=${3:-22}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d /tmp/zr-rxm.XXXXXX)
TX=zrxm-tx-$$ RX=zrxm-rx-$$
cleanup() {
  ip netns pids "$RX" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns pids "$TX" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$TX" 2>/dev/null || true
  ip netns del "$RX" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
gcc -O2 -Wall -o "$WORK/rx-sink" "$HERE/rx-sink.c"
gcc -O2 -Wall -o "$WORK/udp-blast" "$ROOT/test/e2e/udp-blast.c"
ip netns add "$TX"
ip netns add "$RX"
ip -n "$TX" link add tx0 type veth peer name rx0 netns "$RX"
ip -n "$TX" addr add 10.99.0.1/24 dev tx0
ip -n "$RX" addr add 10.99.0.2/24 dev rx0
ip -n "$TX" link set tx0 up
ip -n "$RX" link set rx0 up
ip -n "$TX" link set lo up
ip -n "$RX" link set lo up
RXMAC=$(ip netns exec "$RX" cat /sys/class/net/rx0/address)
# The sink takes ARP too under XDP: the sender knows the receiver's MAC up front.
ip -n "$TX" neigh add 10.99.0.2 lladdr "$RXMAC" dev tx0 nud permanent
ip netns exec "$RX" nft add table ip zrxm
ip netns exec "$RX" nft add chain ip zrxm in '{ type filter hook input priority 0; }'
ip netns exec "$RX" nft add rule ip zrxm in udp dport 9999 drop

ticks() { # utime + stime of a pid, clock ticks
  awk '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' "/proc/$1/stat" 2>/dev/null || echo 0
}
ksoft() { local t=0; for p in $(pgrep -x 'ksoftirqd/[0-9]+' || true); do t=$((t + $(ticks "$p"))); done; echo "$t"; }
HZ=$(getconf CLK_TCK)

one() { # one run of mechanism $1
  local mode=$1 out="$WORK/$1.out"
  ip netns exec "$RX" "$WORK/rx-sink" "$mode" rx0 "$((SECONDS_RUN * 4))" > "$out" &
  local sp=$!
  for _ in $(seq 100); do grep -q ready "$out" 2>/dev/null && break; sleep 0.05; done
  local k0; k0=$(ksoft)
  local bt="$WORK/blast.time"
  ip netns exec "$TX" /usr/bin/time -f '%U %S' -o "$bt" "$WORK/udp-blast" send 10.99.0.2 9999 8 "$PAYLOAD" "$SECONDS_RUN" > "$WORK/blast.out"
  sleep 0.2 # what is in flight lands; then the sink stops and reports
  kill -TERM "$sp"
  wait "$sp" || true
  local k1; k1=$(ksoft)
  local sink; sink=$(tail -1 "$out")
  local sent; sent=$(tail -1 "$WORK/blast.out")
  python3 - "$mode" "$sink" "$sent" "$(cat "$bt")" "$((k1 - k0))" "$HZ" "$(head -1 "$out")" <<'EOF'
import json, sys
mode, sink, sent, btime, ks, hz, ready = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4].split(), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
fr = sink['frames']
cpu = float(btime[0]) + float(btime[1]) + sink['userS'] + sink['sysS'] + ks / hz
print(f"{mode:5s} {ready.split()[-1] if mode == 'xdp' else 'ring':8s} sent {sent['sent'] / sent['seconds'] / 1e6:6.3f} Mpps  got {fr / sent['sent'] * 100:6.2f}%  drops counted {sink['drops']:>8d}  "
      f"CPU per frame sent {cpu / sent['sent'] * 1e6:6.3f} us, per frame got {cpu / fr * 1e6 if fr else float('nan'):6.3f} us (sender {float(btime[0]) + float(btime[1]):.2f} s, sink {sink['userS'] + sink['sysS']:.2f} s, ksoftirqd {ks / hz:.2f} s)")
EOF
}

echo "load $(cut -d' ' -f1 /proc/loadavg); ${SECONDS_RUN} s per run, ${ROUNDS} rounds, UDP payload ${PAYLOAD} B ($((PAYLOAD + 42)) B frames)"
for r in $(seq "$ROUNDS"); do
  one mmap
  one xdp
done
echo "load $(cut -d' ' -f1 /proc/loadavg)"
