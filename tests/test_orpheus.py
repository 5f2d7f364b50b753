"""Orpheus as the second model family, on a tiny random Orpheus saved and loaded like the real one."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from ttsbench.models.families import CheckpointError, Context, Request, family, family_of
from ttsbench.models.families.orpheus import (
    AUDIO,
    CODEBOOK,
    END_OF_SPEECH,
    FRAME_SAMPLES,
    drop_repeated_frames,
    frame_tokens,
    token_codes,
)


def random_codes(frames: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, CODEBOOK, frames * k) for k in (1, 2, 4)]


def test_token_layout_round_trip_is_the_identity():
    codes = random_codes(9)
    tokens = frame_tokens(codes)
    assert len(tokens) == 63 and min(tokens) >= AUDIO and max(tokens) < AUDIO + 7 * CODEBOOK
    back, dropped = token_codes(tokens)
    assert dropped == 0 and all(np.array_equal(a, b) for a, b in zip(back, codes, strict=False))
    assert [t - AUDIO for t in tokens[:7]] == [
        codes[0][0],
        codes[1][0] + CODEBOOK,
        codes[2][0] + 2 * CODEBOOK,
        codes[2][1] + 3 * CODEBOOK,
        codes[1][1] + 4 * CODEBOOK,
        codes[2][2] + 5 * CODEBOOK,
        codes[2][3] + 6 * CODEBOOK,
    ]


def test_out_of_range_codes_are_counted_and_their_frames_dropped_never_clipped():
    tokens = frame_tokens(random_codes(5))
    tokens[7 + 3] = AUDIO + 2 * CODEBOOK  # frame 1's fourth token, in the third position's block
    tokens[4 * 7] = 5  # frame 4's first token is text
    back, dropped = token_codes(tokens + [AUDIO] * 3)  # and a partial frame at the end: trimmed
    assert dropped == 2 and len(back[0]) == 3 and len(back[1]) == 6 and len(back[2]) == 12


def test_the_notebooks_duplicate_frame_dropping_is_an_option():
    codes = random_codes(4)
    codes[0][2] = codes[0][1]
    tokens = frame_tokens(codes)
    assert len(drop_repeated_frames(tokens)) == 21 and drop_repeated_frames(tokens)[:7] == tokens[:7]


@pytest.mark.slow
def test_the_tiny_orpheus_loads_through_the_user_code_path_and_stops_at_its_cap(tiny_orpheus):
    from ttsbench.models.model import load_checkpoint

    fam = family_of(str(tiny_orpheus))
    assert fam.name == "orpheus"
    model, processor = load_checkpoint(tiny_orpheus, "cpu")
    assert model.config.vocab_size >= AUDIO + 7 * CODEBOOK
    audio = (0.1 * np.random.default_rng(0).standard_normal(24000)).astype(np.float32)
    tokens = processor.encode(audio)
    assert len(tokens) % 7 == 0 and len(processor.decode(token_codes(tokens)[0])) == len(tokens) // 7 * FRAME_SAMPLES
    import torch

    torch.manual_seed(1)
    requests = [Request("Hello there.", 1, 1.0), Request("Say this, please.", 1, 2.0, context=(Context(audio, "Hi."),))]
    out = fam.generate(model, processor, requests, fam.generation, "cpu")
    for r, g in zip(requests, out, strict=False):
        assert g.error is None and g.stopped is False  # a random model never says end_of_speech: a stop failure
        assert len(g.audio) == int(np.ceil(r.max_seconds * 24000 / FRAME_SAMPLES)) * FRAME_SAMPLES
        assert np.isfinite(g.audio).all() and np.abs(g.audio).max() < 1.0
    cloned = fam.prompt(processor, requests[1])
    assert cloned.count(END_OF_SPEECH) == 1 and len(cloned) > len(fam.prompt(processor, requests[0])) + 7 * 11


def test_fast_orpheus_tokens_are_transformers_greedy_tokens_with_the_repetition_penalty(tiny_orpheus):
    """Our loop (`TokenLoop`) computes what generate() computes: the same greedy tokens for a left-padded batch
    with a cloning context, with and without the repetition penalty, each row to its own cap; and rows that
    say end_of_speech stop there and are padded after, as generate() pads them."""
    import torch

    from ttsbench.models.families.orpheus import PAD, fast_tokens
    from ttsbench.models.model import load_checkpoint

    fam = family_of(str(tiny_orpheus))
    model, processor = load_checkpoint(tiny_orpheus, "cpu")
    audio = (0.1 * np.random.default_rng(0).standard_normal(24000)).astype(np.float32)
    requests = [
        Request("Hello there.", 1, 0.5),
        Request("Say this, please.", 1, 1.0, context=(Context(audio, "Hi."),)),
        Request("Hi", 1, 0.7),
    ]
    ids, mask, caps = fam.inputs(processor, requests, "cpu")
    assert len(set(mask.sum(-1).tolist())) == 3  # left padding really happens

    def both(penalty):
        with torch.inference_mode():
            theirs = model.generate(
                input_ids=ids,
                attention_mask=mask,
                max_new_tokens=max(caps),
                do_sample=False,
                eos_token_id=END_OF_SPEECH,
                pad_token_id=PAD,
                repetition_penalty=penalty,
                disable_compile=True,
            )[:, ids.shape[1] :]
            return fast_tokens(model, ids, mask, caps, {"repetition_penalty": penalty}, sample=False), theirs

    for penalty in (1.0, 1.3):
        ours, theirs = both(penalty)
        for b, cap in enumerate(caps):
            assert torch.equal(ours[b, :cap], theirs[b, :cap]), f"row {b}, penalty {penalty}"
    assert not torch.equal(both(1.0)[0], both(1.3)[0]), "the penalty should change what is said"
    settled = int(torch.mode(theirs[0, 3 : caps[0]]).values)  # what greedy decoding repeats: made to end speech
    with torch.no_grad():
        model.lm_head.weight[END_OF_SPEECH] = model.lm_head.weight[settled] * 1.05
    ours, theirs = both(1.0)
    ends = [(row == END_OF_SPEECH).nonzero() for row in ours]
    assert any(len(e) and e[0, 0] + 1 < cap for e, cap in zip(ends, caps, strict=False)), (
        "a row should end before its cap"
    )
    for b, (e, cap) in enumerate(zip(ends, caps, strict=False)):
        assert torch.equal(ours[b, :cap], theirs[b, :cap]), f"row {b}"
        if len(e):
            assert (ours[b, int(e[0, 0]) + 1 :] == PAD).all()


def test_the_orpheus_step_compiles_whole_with_the_penalty_and_sampling(tiny_orpheus):
    """No graph break in `TokenLoop.step` (a host sync or a data-dependent shape would be one, and would
    break a CUDA graph): torch.compile(fullgraph=True) traces it, and the traced step draws what eager draws."""
    import torch

    from ttsbench.models.families.orpheus import TokenLoop
    from ttsbench.models.model import load_checkpoint

    fam = family_of(str(tiny_orpheus))
    model, processor = load_checkpoint(tiny_orpheus, "cpu")
    ids, mask, caps = fam.inputs(processor, [Request("Hello there.", 1, 0.5), Request("Hi", 1, 0.3)], "cpu")

    def tokens(traced):
        torch._dynamo.reset()
        loop = TokenLoop(model, 2, 256, torch.float32, "cpu", dict(fam.generation), True, False)
        if traced:
            loop.run_step = torch.compile(loop.step, fullgraph=True, backend="eager")
        torch.manual_seed(5)
        with torch.inference_mode():
            return loop.run(ids, model.model.embed_tokens(ids), mask, caps, 1)

    assert torch.equal(tokens(True), tokens(False))


def test_orpheus_engines_make_speech_and_the_compiled_loop_draws_what_the_eager_one_draws(tiny_orpheus, cxx):
    """`compile: true` (Inductor here) gives the same tokens as the eager loop, draw for draw; both engines
    make a row of its own length to its cap."""
    import torch

    from ttsbench.models.families.orpheus import fast_tokens
    from ttsbench.models.model import load_checkpoint

    fam = family_of(str(tiny_orpheus))
    model, processor = load_checkpoint(tiny_orpheus, "cpu")
    requests = [Request("Hello there.", 1, 0.5), Request("Say this, please.", 1, 1.0)]
    ids, mask, caps = fam.inputs(processor, requests, "cpu")
    out = {}
    for compile in (False, True):
        torch.manual_seed(1)
        with torch.inference_mode():
            out[compile] = fast_tokens(model, ids, mask, caps, dict(fam.generation), compile=compile)
    assert torch.equal(out[False], out[True])
    for engine in ("transformers", "fast"):
        made = fam.generate(model, processor, requests, {**fam.generation, "engine": engine}, "cpu")
        assert [len(g.audio) for g in made] == [c // 7 * FRAME_SAMPLES for c in caps], engine


def test_unknown_families_and_other_model_types_are_named(tmp_path):
    from ttsbench.core.errors import UserError

    with pytest.raises(UserError, match="unknown model family 'bark'; known: csm, orpheus"):
        family("bark")
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "whisper"}))
    with pytest.raises(
        CheckpointError, match="model_type 'whisper', which no model family claims .known: csm, orpheus."
    ):
        family_of(str(tmp_path))


@pytest.mark.slow
def test_a_csm_suite_refuses_an_orpheus_checkpoint(tiny_orpheus, tmp_path):
    from ttsbench.models.model import check_checkpoint

    with pytest.raises(CheckpointError, match="model_type .llama. \\(the orpheus family\\), not csm"):
        check_checkpoint(str(tiny_orpheus), expect="csm")


@pytest.mark.slow
def test_orpheus_fine_tunes_benches_four_variants_and_merged_rows(tiny_orpheus, voice_dataset, tmp_path):
    from ttsbench.benchmark.runner import run_suite
    from ttsbench.benchmark.suite import load_suite

    suite = tmp_path / "orpheus.yaml"
    suite.write_text(
        yaml.safe_dump(
            {
                "name": "tiny-orpheus",
                "model": {"backend": "orpheus", "checkpoint": str(tiny_orpheus)},
                "dataset": str(voice_dataset),
                "prompts": ["Good evening, everyone.", "Thank you."],
                "seeds": 1,
                "finetune": {
                    "max_steps": 3,
                    "per_device_batch_size": 1,
                    "gradient_accumulation_steps": 1,
                    "learning_rate": 0.002,
                    "eval_steps": 100,
                    "rows": 3,
                    "merge": True,
                },
                "variants": ["base", "cloned", "finetuned", "finetuned_cloned", "merged", "merged_cloned"],
                "anchors": ["ground_truth"],
                "scorers": {"speaker_sim": {}, "signal": {}},
                "generation": {"max_seconds": 1.5},
            }
        )
    )
    suite = load_suite(suite)
    result = run_suite(suite, tmp_path / "run", progress=False)
    counts = result.summary.samples
    assert all(
        counts[v].n == 2 and counts[v].failed == 0
        for v in ("base", "cloned", "finetuned", "finetuned_cloned", "merged", "merged_cloned")
    )
    assert "tiny random model" in result.summary.label
    record = json.loads((tmp_path / "run" / "finetune" / "finetune.json").read_text())
    assert record["settings"]["family"] == "orpheus" and record["settings"]["r"] == 64
    assert record["settings"]["lora_alpha"] == 64 and record["settings"]["duplicate_frames"] == "keep"
    losses = [h["loss"] for h in record["loss_history"] if "loss" in h]
    assert losses[-1] < losses[0]
    assert (tmp_path / "run" / "finetune" / "merged" / "snac" / "config.json").is_file()  # loads on its own
    from ttsbench.reports.html import build_report
    from ttsbench.gates.gates import check, parse_gate

    report = build_report([tmp_path / "run"], tmp_path / "run" / "report.html")
    assert report.audio_elements >= 12 and not report.missing
    for text, passes in (
        ("*.failed <= 0", True),
        ("finetune.loss_drop > 0", True),
        ("merged.speaker_sim - finetuned.speaker_sim >= 5", False),
    ):
        outcome = check(parse_gate(text, suite, "o.yaml"), tmp_path / "run", suite)
        assert outcome.passed is passes, outcome.message


@pytest.mark.slow
def test_a_sweep_runs_on_orpheus(tiny_orpheus, voice_dataset, tmp_path):
    from ttsbench.benchmark.suite import load_suite
    from ttsbench.benchmark.sweep import sweep

    suite = tmp_path / "orpheus.yaml"
    suite.write_text(
        yaml.safe_dump(
            {
                "name": "tiny-orpheus-sweep",
                "model": {"backend": "orpheus", "checkpoint": str(tiny_orpheus)},
                "dataset": str(voice_dataset),
                "prompts": ["Good evening."],
                "seeds": 1,
                "finetune": {
                    "max_steps": 2,
                    "per_device_batch_size": 1,
                    "gradient_accumulation_steps": 1,
                    "eval_steps": 100,
                },
                "variants": ["base", "finetuned"],
                "anchors": [],
                "scorers": {"speaker_sim": {}},
                "generation": {"max_seconds": 1.0},
            }
        )
    )
    result = sweep(load_suite(suite), [1, 2], [0], tmp_path / "sweep", progress=False)
    assert {(r["rows"], r["variant"]) for r in result.curve if r["metric"] == "speaker_sim"} == {
        (0, "base"),
        (1, "finetuned"),
        (2, "finetuned"),
    }
    assert "tiny random model" in result.label


@pytest.mark.slow
def test_tiny_model_command_builds_either_family(tmp_path, capsys):
    from ttsbench.cli import main

    assert main(["tiny-model", "--family", "orpheus", "--out", str(tmp_path / "o")]) == 0
    assert "wrote a random orpheus model" in capsys.readouterr().out
    assert family_of(str(tmp_path / "o")).name == "orpheus" and (tmp_path / "o" / "snac" / "config.json").is_file()
    assert main(["tiny-model", "--family", "orpheus", "--size", "1b", "--out", str(tmp_path / "x")]) == 2


def test_the_3b_config_has_orpheus_3b_size():
    """`tiny-model --family orpheus --size 3b` (GPU benchmarks) builds Orpheus-3B's shapes: 3,301 M
    parameters with tied embeddings as published, and the 24 kHz SNAC's 19.8 M."""
    import torch
    from snac import SNAC
    from transformers import LlamaForCausalLM

    from ttsbench.models.families.orpheus import SNAC_CONFIGS, VOCAB, orpheus_config

    config = orpheus_config("3b")
    with torch.device("meta"):  # shapes only
        model, codec = LlamaForCausalLM(config), SNAC(**SNAC_CONFIGS["3b"])
    assert abs(sum(p.numel() for p in model.parameters()) - 3_300.9e6) < 1e6
    assert config.vocab_size == VOCAB and config.num_hidden_layers == 28 and config.num_key_value_heads == 8
    assert abs(sum(p.numel() for p in codec.parameters()) - 19.84e6) < 0.01e6


def test_snac_decodes_rows_of_equal_length_in_one_call(tiny_orpheus, monkeypatch):
    """Rows of one length share a codec call and give what each gives alone (SNAC's in-decoder noise,
    drawn per call, set aside for the comparison); a row of another length gets its own call."""
    import snac.layers

    from ttsbench.models.model import load_checkpoint

    monkeypatch.setattr(snac.layers.NoiseBlock, "forward", lambda self, x: x)
    _, processor = load_checkpoint(tiny_orpheus, "cpu")
    rng = np.random.default_rng(0)
    rows = [[rng.integers(0, CODEBOOK, n * k) for k in (1, 2, 4)] for n in (5, 5, 3, 5)]
    single = [processor.decode(r) for r in rows]
    calls = []
    real = processor.codec.decode
    monkeypatch.setattr(processor.codec, "decode", lambda codes: calls.append(codes[0].shape) or real(codes))
    batched = processor.decode_many(rows)
    assert sorted(tuple(c) for c in calls) == [(1, 3), (3, 5)]
    for b, one, n in zip(batched, single, (5, 5, 3, 5), strict=False):
        assert len(b) == len(one) == n * FRAME_SAMPLES and np.allclose(b, one, atol=1e-5)
