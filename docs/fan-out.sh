#!/usr/bin/env bash
# Evaluates one input as N shards in parallel (GNU parallel), merges the shards' states with `xent merge`, and
# checks that the merged report is one run's, bit for bit. See docs/fan-out.md.
#
#   bash docs/fan-out.sh [N] [ROWS]     (after npm run build; GNU parallel: apt-get install parallel)
#
# The input is made here: ROWS rows (default 20,000) of 1,000 float32 logits, as an ImageNet validation run
# leaves them, in $TMPDIR/xent-fan-out/ (about 80 MB; kept for the next run).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-4}
ROWS=${2:-20000}
XENT="node $PWD/dist/cli.js"
WORK="${TMPDIR:-/tmp}/xent-fan-out"
mkdir -p "$WORK"
cd "$WORK"

if [ ! -f pred.npy ] || [ "$(cat rows 2>/dev/null)" != "$ROWS" ]; then
  node - "$ROWS" <<'EOF'
// Logits with the true class raised, so that the figures mean something; a fixed generator, so runs repeat.
const { openSync, writeSync, closeSync, writeFileSync } = require('node:fs');
const rows = +process.argv[2], classes = 1000;
let s = 7;
const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const header = (descr, shape) => {
  let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  h += ' '.repeat((64 - ((10 + h.length + 1) % 64)) % 64) + '\n';
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
  pre.writeUInt16LE(h.length, 8);
  return Buffer.concat([pre, Buffer.from(h, 'latin1')]);
};
const labels = Int32Array.from({ length: rows }, () => Math.floor(rand() * classes));
const fd = openSync('pred.npy', 'w');
writeSync(fd, header('<f4', [rows, classes]));
const row = new Float32Array(classes);
for (let r = 0; r < rows; r++) {
  for (let j = 0; j < classes; j++) row[j] = 4 * rand() - 2;
  row[labels[r]] += 3 * rand();
  writeSync(fd, new Uint8Array(row.buffer));
}
closeSync(fd);
writeFileSync('labels.npy', Buffer.concat([header('<i4', [rows]), Buffer.from(labels.buffer)]));
writeFileSync('rows', String(rows));
EOF
fi

rm -f shard-*.json
# The shards: each job evaluates its part of the file (cut on the evaluation's grid) and writes its state.
seq 1 "$N" | parallel --halt now,fail=1 "$XENT eval pred.npy labels.npy --shard {}/$N --state-out shard-{}.json --format csv --quiet > /dev/null"
$XENT merge shard-*.json --format json > merged.json
$XENT eval pred.npy labels.npy --format json --threads 1 > one.json
if cmp -s merged.json one.json; then
  echo "merged report of $N shards = one run's, bit for bit ($(wc -c < merged.json) bytes of JSON)"
else
  echo "the merged report differs from one run's:" >&2
  diff merged.json one.json | head >&2
  exit 1
fi
$XENT merge shard-*.json
