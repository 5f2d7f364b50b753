"""ttsbench's own speed and memory benchmarks (`ttsbench perf …`): each prints ratios against a baseline
measured in the same run. `prepare.py`, `score.py`, `generate.py` (CPU or GPU), `report.py`, and
`gpu.py` (a CUDA machine's fine-tuning and generation figures, each point in its own process)."""

from pathlib import Path

#: real speech the benchmarks read by default (LJSpeech excerpts beside the repository)
REALSPEECH = Path(__file__).resolve().parents[3] / "shared" / "data" / "realspeech" / "ljspeech"
