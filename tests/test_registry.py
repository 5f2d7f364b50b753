"""One registry for families, scorers and synthesizers; a family added from outside is one registration,
and a bench runs on it with nothing else of ttsbench touched."""

from __future__ import annotations

import pytest
import yaml

from ttsbench.core.errors import UserError
from ttsbench.core.registry import Registry


class Base:
    pass


class Widget(Base):
    pass


def test_a_registry_imports_on_first_use_and_names_what_it_knows():
    r = Registry("widget", Base, {"w": "test_registry:Widget"})
    assert "w" in r and r.names() == ["w"] and r.source("w") == "ttsbench"
    assert r.get("w") is Widget
    r.register("mine", Widget)
    assert r.get("mine") is Widget and r.names() == ["w", "mine"]
    assert r.source("mine") == "module test_registry"  # who registered it, for the day two clash
    with pytest.raises(UserError, match=r"unknown widget 'nope'; known: mine, w"):
        r.get("nope")


def test_a_registry_refuses_a_name_twice_naming_both_and_what_is_not_its_kind():
    r = Registry("widget", Base, {"w": "test_registry:Widget"})
    with pytest.raises(UserError, match=r"^widget 'w' is registered twice: by ttsbench and by module test_registry;"):
        r.register("w", Widget)
    assert r.get("w") is Widget  # the first registration stands
    r.register("text", "json:dumps")
    with pytest.raises(
        UserError,
        match=r"widget 'text' from module test_registry: 'json:dumps' is not a "
        r"test_registry.Base subclass",
    ):
        r.get("text")
    r.register("gone", "no_such_module_here:Thing", source="package gone-widgets")
    with pytest.raises(
        UserError,
        match=r"widget 'gone' from package gone-widgets: no_such_module_here:Thing cannot "
        r"be loaded \(ModuleNotFoundError",
    ):
        r.get("gone")


def test_a_frozen_registry_takes_no_more():
    r = Registry("widget", Base, {"w": Widget})
    r.freeze()
    with pytest.raises(UserError, match="the widget registry is frozen"):
        r.register("x", Widget)
    with pytest.raises(UserError, match="frozen"):
        r.unregister("w")
    assert r.frozen and r.names() == ["w"]


def test_the_built_in_registries_check_their_kinds():
    from ttsbench.benchmark.scorers import SCORERS, Scorer
    from ttsbench.benchmark.synth import SYNTHS, Synth
    from ttsbench.dataprep.asr import ASR_BACKENDS, Asr
    from ttsbench.models.families import FAMILIES, Family

    for registry, base in ((SCORERS, Scorer), (SYNTHS, Synth), (FAMILIES, Family), (ASR_BACKENDS, Asr)):
        assert registry.base is base
        for name in registry.names():
            if registry.source(name) == "ttsbench":
                assert issubclass(registry.get(name), base)


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
    suite.write_text(
        yaml.safe_dump(
            {
                "name": "tone",
                "model": {"backend": "tone", "checkpoint": str(checkpoint)},
                "dataset": str(voice_dataset),
                "prompts": ["One thing to say.", "And another thing."],
                "seeds": 2,
                "variants": ["base", "cloned"],
                "anchors": [],
                "scorers": {"signal": {}},
                "generation": {"max_seconds": 2.0, "loudness": 0.5},
            }
        )
    )
    run = tb.bench(suite, tmp_path / "run", progress=False)
    counts = run.results().samples
    assert counts["base"].n == 4 and counts["cloned"].n == 4 and not counts["base"].failed
    assert run.record.plan.generation.temperature == 1.0  # the family's sampling defaults, resolved into the plan
    assert run.record.plan.generation.family_settings == {"loudness": 0.5}  # its own setting, read back from run.json
    import soundfile

    peak = max(abs(soundfile.read(p)[0]).max() for p in (tmp_path / "run").rglob("*.wav"))
    assert 0.45 < peak < 0.6  # and used: the tone is as loud as the suite asked
    assert run.label == "tone family — pipeline check only"  # its checkpoint's label travels with the numbers
    durations = run.summary().set_index(["variant", "metric"])["mean"]
    assert durations[("base", "duration")] > 0
    # the command line knows it too: its --family choices come from the registry
    args = build_parser().parse_args(["tiny-model", "--family", "tone", "--out", str(tmp_path / "again")])
    assert args.family == "tone"
    args = build_parser().parse_args(["finetune", "data", "--base", "b", "--out", "o", "--tone-steps", "6"])
    assert args.tone_steps == 6  # its own training setting is a flag
    from ttsbench.models.records import FinetuneOptions

    assert tone_family().options(FinetuneOptions.from_dict({"tone_steps": 6})).family_settings == {"tone_steps": 6}
    with pytest.raises(UserError, match="depth_decoder_frames.*not a fine-tuning setting of the tone family"):
        tone_family().options(FinetuneOptions.from_dict({"depth_decoder_frames": 0.5}))


def test_a_family_setting_is_checked_by_its_family(voice_dataset, tmp_path):
    from ttsbench.benchmark.suite import SuiteError, load_suite

    def suite(generation):
        path = tmp_path / "s.yaml"
        path.write_text(
            yaml.safe_dump(
                {"name": "s", "model": {"backend": "fake"}, "dataset": str(voice_dataset), "generation": generation}
            )
        )
        return path

    with pytest.raises(SuiteError, match=r"unknown setting\(s\) repetition_penalty for the fake synthesizer"):
        load_suite(suite({"repetition_penalty": 1.1}))
    path = tmp_path / "csm.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "c",
                "model": {"backend": "csm", "checkpoint": "sesame/csm-1b"},
                "dataset": str(voice_dataset),
                "variants": ["base"],
                "anchors": [],
                "generation": {"repetition_penalty": 1.1},
            }
        )
    )
    with pytest.raises(
        SuiteError,
        match=r"generation.repetition_penalty.*not a generation setting of the csm family "
        r"\(its own: depth_decoder_temperature, depth_decoder_top_p\)",
    ):
        load_suite(path)


def test_an_unknown_backend_lists_the_families_and_the_stand_ins(voice_dataset, tmp_path):
    from ttsbench.benchmark.suite import SuiteError, load_suite

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"name": "s", "model": {"backend": "bark"}, "dataset": str(voice_dataset)}))
    with pytest.raises(SuiteError, match=r"unknown backend 'bark'; available: csm, fake, noise, orpheus"):
        load_suite(path)
