#!/usr/bin/env bash
# The GPU figures docs/benchmarks.md lacks, in one call of minutes (see `ttsbench perf session --help`):
#
#   here, with network:  scripts/gpu-wheels.sh .whl            (snac, and Unsloth's stack for `perf gpu`)
#   here, first:         ttsbench perf session --out /tmp/s --device cpu   (the dry run; the tests run it too)
#   there:               scripts/gpu-session.sh "$OUT"        (carry .whl; logs and session.md land in $OUT)
#
# Every step is a `ttsbench` command under its own time limit inside Python (no shell function under
# `timeout`, which is what made every step of the old script exit 127).
set -uo pipefail
out=${1:?usage: scripts/gpu-session.sh OUT_DIR}
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    || exit 1
  export PYTHONPATH="/tmp/site:$PWD"
else
  export PYTHONPATH="$PWD"
fi
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
exec python3 -m ttsbench.cli perf session --out "$out" --device cuda
