"""One registry for families, scorers and synthesizers; a family added from outside is one registration,
and a bench runs on it with nothing else of ttsbench touched."""

from __future__ import annotations

import pytest
import yaml

from ttsbench.core.errors import UserError
from ttsbench.core.registry import Registry


def test_a_registry_imports_on_first_use_and_names_what_it_knows():
    r = Registry("widget", {"json": "json:dumps"})
    assert "json" in r and r.names() == ["json"]
    import json

    assert r.get("json") is json.dumps
    r.register("mine", len)
    assert r.get("mine") is len and r.names() == ["json", "mine"]
    with pytest.raises(UserError, match=r"unknown widget 'nope'; known: json, mine"):
        r.get("nope")


@pytest.fixture
def tone_family():
    from tonefamily import Tone
    from ttsbench.models.families import FAMILIES

    FAMILIES.register("tone", Tone)
    yield Tone
    FAMILIES.unregister("tone")


def test_a_family_registered_from_outside_benches_with_nothing_else_touched(tone_family, voice_dataset, tmp_path):
    import ttsbench as tb
    from ttsbench.cli import build_parser

    checkpoint = tb.tiny_model(tmp_path / "tone", family="tone")
    suite = tmp_path / "tone.yaml"
    suite.write_text(yaml.safe_dump({
        "name": "tone", "model": {"backend": "tone", "checkpoint": str(checkpoint)}, "dataset": str(voice_dataset),
        "prompts": ["One thing to say.", "And another thing."], "seeds": 2, "variants": ["base", "cloned"],
        "anchors": [], "scorers": {"signal": {}}, "generation": {"max_seconds": 2.0}}))
    run = tb.bench(suite, tmp_path / "run", progress=False)
    counts = run.results().samples
    assert counts["base"].n == 4 and counts["cloned"].n == 4 and not counts["base"].failed
    assert run.record.plan.generation.temperature == 1.0  # the family's sampling defaults, resolved into the plan
    assert run.label == "tone family — pipeline check only"  # its checkpoint's label travels with the numbers
    durations = run.summary().set_index(["variant", "metric"])["mean"]
    assert durations[("base", "duration")] > 0
    # the command line knows it too: its --family choices come from the registry
    args = build_parser().parse_args(["tiny-model", "--family", "tone", "--out", str(tmp_path / "again")])
    assert args.family == "tone"


def test_an_unknown_backend_lists_the_families_and_the_stand_ins(voice_dataset, tmp_path):
    from ttsbench.benchmark.suite import SuiteError, load_suite

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"name": "s", "model": {"backend": "bark"}, "dataset": str(voice_dataset)}))
    with pytest.raises(SuiteError, match=r"unknown backend 'bark'; available: csm, fake, noise, orpheus"):
        load_suite(path)
