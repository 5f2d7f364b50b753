"""`ttsbench bench --executor ray`: the model's (variant, seed) batches on Ray actors (local Ray, CPU),
the driver alone writing the run directory — the same samples and audio as a local run, no
duplicate rows, and a re-run that does nothing."""

import json

import numpy as np
import pytest
import yaml


def _suite(tmp_path, tiny_csm, voice_dataset):
    path = tmp_path / "ray.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "ray",
                "model": {"backend": "csm", "checkpoint": str(tiny_csm)},
                "dataset": str(voice_dataset),
                "prompts": ["Good evening.", "A second prompt here.", "And a third one."],
                "seeds": 2,
                "variants": ["base", "cloned"],
                "anchors": [],
                "scorers": {"signal": {}},
                "generation": {"max_seconds": 1.0, "batch_size": 2},
            }
        )
    )
    return path


def test_bench_on_a_local_ray_makes_what_a_local_run_makes(tiny_csm, voice_dataset, tmp_path, monkeypatch):
    pytest.importorskip("ray")
    import ray

    from ttsbench.benchmark.runner import run_suite
    from ttsbench.benchmark.store import RunStore
    from ttsbench.dataprep.audio import read_wav_bytes
    from ttsbench.benchmark.suite import load_suite

    suite = load_suite(_suite(tmp_path, tiny_csm, voice_dataset))
    local = run_suite(suite, tmp_path / "local", progress=False)
    monkeypatch.setenv("TTSBENCH_RAY_WORKERS", "2")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        first = run_suite(suite, tmp_path / "ray", progress=False, executor="ray")
        again = run_suite(suite, tmp_path / "ray", progress=False, executor="ray")
    finally:
        ray.shutdown()
    assert local.generated == first.generated == 12 and again.generated == 0

    def audio(run):
        store = RunStore(run)
        return {s.key: read_wav_bytes((store.dir / s.audio_path).read_bytes())[0] for s in store.samples()}

    lines = (tmp_path / "ray" / "samples.jsonl").read_text().splitlines()
    assert (
        len(lines) == 12
        and len({tuple(json.loads(line)[k] for k in ("variant", "prompt_id", "seed")) for line in lines}) == 12
    )  # no duplicate rows
    ours, theirs = audio(tmp_path / "ray"), audio(tmp_path / "local")
    assert ours.keys() == theirs.keys()
    for key in ours:  # same batches, same seeds: the same codes; the codec's floats may differ in the last bits
        assert len(ours[key]) == len(theirs[key]) and np.abs(ours[key] - theirs[key]).max() < 1e-3, key


def test_unknown_executor_is_one_line(tiny_csm, voice_dataset, tmp_path):
    from ttsbench.benchmark.runner import run_suite
    from ttsbench.benchmark.suite import load_suite
    from ttsbench.core.errors import UserError

    with pytest.raises(UserError, match="executor 'dask': use local or ray"):
        run_suite(load_suite(_suite(tmp_path, tiny_csm, voice_dataset)), tmp_path / "x", executor="dask")
