"""Benchmarking a model: the suite as a typed plan (`plan`, loaded by `suite`), synthesizers (`synth/`), scorers
(`scorers/`), the runner, the run directory (`store`) and its records, statistics, current results, sweeps, `check`."""
