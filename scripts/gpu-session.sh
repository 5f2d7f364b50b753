#!/usr/bin/env bash
# The GPU figures docs/benchmarks.md still lacks, as one call of under 10 minutes on a CUDA machine:
# generation on random models of CSM-1B's and Orpheus-3B's configurations, each engine against
# transformers' generate() (the compiled engine's CUDA graphs have never run on a GPU before).
#
#   here, with network:  scripts/gpu-wheels.sh .whl      (or only: datasets, soundfile, soxr, snac …)
#   there:               scripts/gpu-session.sh OUT_DIR  (carry .whl; prints the tables, logs to OUT_DIR)
#
# Each step has its own time limit, so a slow one (compiling CSM-1B's unrolled depth decoder) costs
# only itself; what finished is printed and kept in OUT_DIR/*.log.
set -uo pipefail
out=${1:?usage: scripts/gpu-session.sh OUT_DIR}
mkdir -p "$out"
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH="/tmp/site:$PWD" || exit 1
fi
export PYTHONUNBUFFERED=1 PYTHONPATH="${PYTHONPATH:-$PWD}"
tts() { python3 -m ttsbench.cli "$@"; }
step() {  # step SECONDS NAME COMMAND…: run, log, never stop the script
  local limit=$1 name=$2; shift 2
  echo "== $name"; date +%T
  timeout "$limit" "$@" 2>&1 | tee "$out/$name.log" | grep -v -e Warning -e warn
  echo "== $name: exit ${PIPESTATUS[0]}"
}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
step 120 build-csm1b tts tiny-model --family csm --size 1b --out /tmp/models/csm1b
step 120 csm1b-fast tts perf generate --base /tmp/models/csm1b --engines fast --batch-sizes 1,8,16 --seconds 4 --device cuda
step 240 csm1b-compiled tts perf generate --base /tmp/models/csm1b --engines compiled --batch-sizes 1,16 --seconds 4 --device cuda
step 60 csm1b-transformers tts perf generate --base /tmp/models/csm1b --engines transformers --batch-sizes 1 --seconds 4 --device cuda
step 150 build-orpheus3b tts tiny-model --family orpheus --size 3b --out /tmp/models/orpheus3b
step 120 orpheus3b tts perf generate --base /tmp/models/orpheus3b --engines transformers,fast --batch-sizes 1,16 --seconds 4 --device cuda
step 180 orpheus3b-compiled tts perf generate --base /tmp/models/orpheus3b --engines compiled --batch-sizes 1,16 --seconds 4 --device cuda
