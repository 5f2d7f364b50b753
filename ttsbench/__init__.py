"""ttsbench: measure whether fine-tuning and voice cloning make a token-based TTS model sound like one
speaker, without hurting intelligibility.

    import ttsbench as tb
    run = tb.bench("suites/demo.yaml")
    run.answer(); run.summary(); run.gates()

The functions are those of `ttsbench.api` (one per stage); importing this package imports nothing
heavy. The command line (`ttsbench.cli`) calls the same functions.
"""

__version__ = "0.2.0"

_API = (
    "prepare",
    "prepare_options",
    "open_dataset",
    "Dataset",
    "finetune",
    "finetune_options",
    "Finetune",
    "load",
    "bench",
    "plan",
    "open_run",
    "Run",
    "report",
    "sweep",
    "sweep_steps",
    "sweep_setting",
    "Sweep",
    "check",
    "check_findings",
    "listen",
    "synth_voice",
    "tiny_model",
)
__all__ = [*_API, "Suite"]


def __getattr__(name):
    if name in _API:
        from . import api

        return getattr(api, name)
    if name == "Suite":
        from .benchmark.plan import Suite

        return Suite
    raise AttributeError(f"module 'ttsbench' has no attribute {name!r}")
