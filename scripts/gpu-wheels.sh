#!/usr/bin/env bash
# Download Unsloth and what it and ttsbench need beyond a CUDA image's torch/transformers/peft stack,
# as wheels, so that an offline CUDA machine (Python 3.12, x86-64) can install them:
#
#   scripts/gpu-wheels.sh wheels/                      # here, with network
#   pip install --no-index --no-deps wheels/*.whl      # there (or --target DIR and PYTHONPATH=DIR)
#   ttsbench perf gpu --out runs/gpu                   # there
#
# Pinned to what ran on an H100 on 2026-11-25 (docs/benchmarks.md). `--no-deps` because the image
# already holds torch, transformers, peft, accelerate, numpy, pyarrow …; add a package here when
# `python -c "import unsloth"` names another one missing. PYTHON_VERSION=3.11 for another Python.
set -euo pipefail
out=${1:?usage: scripts/gpu-wheels.sh DIR}
py=${PYTHON_VERSION:-3.12}
platforms=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_24_x86_64 manylinux_2_17_x86_64 \
         manylinux2014_x86_64 manylinux1_x86_64; do platforms+=(--platform "$p"); done
download() {
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version "$py" --implementation cp \
    "${platforms[@]}" -d "$out" "$@"
}
# Unsloth and its needs (the ones a torch image lacks); trl <= 1.15 and transformers <= 5.17 are Unsloth's bounds
download unsloth==2026.10.9 unsloth_zoo==2026.10.9 bitsandbytes==0.50.2 trl==1.15.0 torchao==0.18.0 \
  cut_cross_entropy==25.1.1 diffusers==0.42.1 tyro==1.0.17 docstring_parser==0.18.0 shtab==1.13.0 \
  typeguard==4.6.1 hf_transfer==0.1.9 msgspec==0.22.0 json5==0.17.3 nest_asyncio==1.6.0 structlog==26.1.0 \
  pydantic==2.14.4 pydantic_core==2.50.5 annotated_types==0.8.0 typing_inspection==0.4.5 importlib_metadata
# ttsbench's fine-tune and generation path (datasets < 5 beside Unsloth; soundfile decodes the clips;
# snac is Orpheus' codec, for perf gpu's orpheus3b/generate point)
download datasets==4.8.5 dill==0.4.1 multiprocess==0.70.19 fsspec==2026.2.0 soundfile==0.14.0 soxr==1.1.0 \
  cffi pycparser snac==1.2.1
ls "$out" | wc -l | xargs echo "wheels in $out:"
du -sh "$out"
