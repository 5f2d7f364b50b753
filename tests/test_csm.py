"""The CSM backend and fine-tuning, on a tiny random CSM saved and loaded like a real checkpoint."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from ttsbench.benchmark.plan import ModelSpec
from ttsbench.benchmark.synth import Context, Request, load_synth
from ttsbench.dataprep.dataset import DatasetError, load_splits, subset
from ttsbench.models.families.csm import conversation_for
from ttsbench.models.families.csm import TINY_LABEL
from ttsbench.models.model import CheckpointError, check_checkpoint
from ttsbench.models.train import FinetuneOptions, finetune

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def tuned(tiny_csm, voice_dataset, tmp_path_factory):
    """A few dozen LoRA steps on the tiny voice dataset."""
    out = tmp_path_factory.mktemp("ft") / "adapter"
    options = FinetuneOptions(
        max_steps=30, per_device_batch_size=2, gradient_accumulation_steps=1, learning_rate=2e-3, eval_steps=10
    )
    return finetune(voice_dataset, str(tiny_csm), out, options, progress=False)


def test_tiny_checkpoint_loads_through_the_user_code_path(tiny_csm):
    from transformers import AutoProcessor, CsmForConditionalGeneration

    model = CsmForConditionalGeneration.from_pretrained(tiny_csm)
    processor = AutoProcessor.from_pretrained(tiny_csm)
    n = sum(p.numel() for p in model.parameters())
    assert 100_000 < n < 1_000_000
    assert model.config.vocab_size == model.codec_model.config.codebook_size
    assert model.codec_model.config.frame_rate == 12.5
    assert json.loads((tiny_csm / "ttsbench.json").read_text())["label"] == TINY_LABEL
    # clips encode to varied codes, not to the all-zero (end-of-audio) frame a fresh Mimi gives
    rng = np.random.default_rng(0)
    enc = processor(
        text=["[0]hi<|end_of_text|><|AUDIO|><|audio_eos|>"], audio=[rng.normal(0, 0.1, 24000)], return_tensors="pt"
    )
    codes = model.codec_model.encode(enc["input_values"]).audio_codes
    assert len(set(codes.flatten().tolist())) > 5


def test_cloning_puts_the_reference_clip_in_the_context(tiny_csm):
    synth = load_synth(ModelSpec("csm", str(tiny_csm)))
    reference = (0.1 * np.random.default_rng(1).standard_normal(36000)).astype(np.float32)
    cloned = Request("Say this now.", 0, 3.0, speaker=0, context=(Context(reference, "Reference words.", 0),))
    plain = Request("Say this now.", 0, 3.0, speaker=0)
    proc = synth.processor
    with_ref = proc.apply_chat_template([conversation_for(cloned)], tokenize=True, return_dict=True)
    without = proc.apply_chat_template([conversation_for(plain)], tokenize=True, return_dict=True)
    assert "input_values" not in without
    np.testing.assert_allclose(with_ref["input_values"][0, 0, : len(reference)].numpy(), reference, atol=1e-6)
    n_audio = int((with_ref["input_ids"] == proc.audio_token_id).sum())
    assert n_audio == round(len(reference) / 24000 * 12.5)  # 1.5 s of reference = 19 frames (rounded up)
    text = proc.tokenizer.decode(with_ref["input_ids"][0])
    assert text.index("Reference words.") < text.index("Say this now.")


def test_generation_is_reproducible_and_capped(tiny_csm):
    synth = load_synth(ModelSpec("csm", str(tiny_csm)))
    requests = [
        Request("One two three.", 5, 2.0),
        Request("A longer sentence to say.", 5, 4.0),
        Request("One two three.", 6, 2.0),
    ]
    first = synth.generate(requests)
    again = synth.generate(requests)  # the same batch: the same audio
    alone = [synth.generate(requests[:1])[0] for _ in range(2)]  # batch 1: exact per (prompt, seed)
    assert synth.sample_rate == 24000
    for a, b in zip(first, again, strict=False):
        np.testing.assert_array_equal(a.audio, b.audio)
    np.testing.assert_array_equal(alone[0].audio, alone[1].audio)
    assert not np.array_equal(first[0].audio, first[2].audio)  # another seed, other audio
    for r, g in zip(requests, first, strict=False):
        assert g.error is None and g.stopped in (True, False)
        assert len(g.audio) <= r.max_seconds * 24000 + 1920  # never past the cap (one frame = 1920 samples)
        if not g.stopped:
            assert len(g.audio) == int(round(r.max_seconds * 12.5)) * 1920


def test_finetune_lowers_the_training_loss_and_records_it(tuned):
    record = tuned.record
    losses = [h["loss"] for h in record.loss_history if "loss" in h]
    assert record.backend == "peft" and record.label == TINY_LABEL
    assert len(losses) == 30
    assert np.mean(losses[-5:]) < losses[0] - 0.3
    assert any("eval_loss" in h for h in record.loss_history)
    assert all("grad_norm" in h for h in record.loss_history if "loss" in h)
    assert record.rows["used"] > 0 and record.trainable_parameters > 0
    assert (tuned.out / "adapter_config.json").is_file()
    assert list((tuned.out / "tensorboard").glob("events.out.tfevents.*"))
    on_disk = json.loads((tuned.out / "finetune.json").read_text())
    assert on_disk["loss_history"] == record.loss_history
    lora = json.loads((tuned.out / "adapter_config.json").read_text())
    assert lora["r"] == 32 and lora["lora_alpha"] == 16 and lora["use_rslora"]
    from safetensors import safe_open

    with safe_open(str(tuned.out / "adapter_model.safetensors"), "pt") as f:
        adapted = {k.split(".lora_")[0] for k in f.keys()}  # noqa: SIM118  (safe_open is not iterable)
    assert not any("codec_model" in k for k in adapted)  # never the Mimi codec
    assert any(".backbone_model." in k for k in adapted) and any(".depth_decoder." in k for k in adapted)
    assert {k.rsplit(".", 1)[1] for k in adapted} == {
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    }


def test_finetune_again_is_up_to_date(tuned, voice_dataset, tiny_csm):
    options = FinetuneOptions(
        max_steps=30, per_device_batch_size=2, gradient_accumulation_steps=1, learning_rate=2e-3, eval_steps=10
    )
    again = finetune(voice_dataset, str(tiny_csm), tuned.out, options, progress=False)
    assert not again.trained and again.record.key == tuned.record.key


def test_adapter_save_and_load_give_identical_output(tuned, tiny_csm):
    request = [Request("Tuned voice test.", 3, 2.0, adapter=True)]
    a = load_synth(ModelSpec("csm", str(tiny_csm)), tuned.out).generate(request)[0]
    b = load_synth(ModelSpec("csm", str(tiny_csm)), tuned.out).generate(request)[0]
    base = load_synth(ModelSpec("csm", str(tiny_csm)), tuned.out).generate(
        [Request("Tuned voice test.", 3, 2.0, adapter=False)]
    )[0]
    np.testing.assert_array_equal(a.audio, b.audio)
    assert len(a.audio) != len(base.audio) or not np.allclose(a.audio, base.audio)  # the adapter changes output


def test_adapter_in_memory_matches_the_saved_one(tiny_csm, tmp_path):
    import torch
    from peft import LoraConfig, get_peft_model

    from ttsbench.models.model import load_checkpoint
    from ttsbench.models.train import lora_targets

    model, _ = load_checkpoint(tiny_csm, expect="csm")
    model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=lora_targets(model, FinetuneOptions())))
    torch.manual_seed(0)
    for name, p in model.named_parameters():
        if "lora_B" in name:
            p.data.normal_(0, 0.5)
    model.save_pretrained(tmp_path / "adapter")
    synth = load_synth(ModelSpec("csm", str(tiny_csm)), tmp_path / "adapter")
    synth_in_memory = load_synth(ModelSpec("csm", str(tiny_csm)))
    synth_in_memory.net, synth_in_memory.tuned = model.eval(), model
    request = [Request("Same words.", 4, 2.0, adapter=True)]
    np.testing.assert_allclose(synth.generate(request)[0].audio, synth_in_memory.generate(request)[0].audio, atol=1e-5)


def test_rows_subsets_are_nested_and_bounded():
    train = list(range(100, 180))
    small, mid, big = (subset(train, n, seed=7) for n in (10, 25, 50))
    assert set(small) < set(mid) < set(big) and len(big) == 50
    assert subset(train, 10, seed=8) != small
    with pytest.raises(DatasetError, match="has 80 rows"):
        subset(train, 81, seed=7)


def test_bad_datasets_and_bases_get_clear_errors(tmp_path, tiny_csm):
    import datasets

    datasets.Dataset.from_dict({"text": ["hello"], "source": [0]}).save_to_disk(str(tmp_path / "noaudio"))
    with pytest.raises(DatasetError, match="no column.*audio"):
        load_splits(tmp_path / "noaudio")
    ds = datasets.Dataset.from_dict({"audio": [{"bytes": b"", "path": None}], "text": ["hi"], "source": ["bob"]})
    ds.save_to_disk(str(tmp_path / "names"))
    with pytest.raises(DatasetError, match="source 'bob'.*integer"):
        load_splits(tmp_path / "names")
    (tmp_path / "llama").mkdir()
    (tmp_path / "llama" / "config.json").write_text('{"model_type": "llama"}')
    with pytest.raises(CheckpointError, match="model_type 'llama', which no model family claims"):
        check_checkpoint(tmp_path / "llama")
    with pytest.raises(CheckpointError, match="no such folder"):
        check_checkpoint(tmp_path / "missing" / "deeper")
    assert check_checkpoint(tiny_csm) == str(tiny_csm)


def test_finetune_cli_reports_a_bad_base_in_one_line(tmp_path, voice_dataset, capsys):
    from ttsbench.cli import main

    (tmp_path / "notcsm").mkdir()
    assert main(["finetune", str(voice_dataset), "--base", str(tmp_path / "notcsm"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no config.json" in err


def test_a_suite_benches_all_four_variants_after_its_fine_tune(tiny_csm, voice_dataset, tmp_path):
    import yaml

    from ttsbench.benchmark.runner import run_suite
    from ttsbench.benchmark.suite import load_suite

    suite_file = tmp_path / "tiny.yaml"
    suite_file.write_text(
        yaml.safe_dump(
            {
                "name": "tiny",
                "model": {"backend": "csm", "checkpoint": str(tiny_csm)},
                "dataset": str(voice_dataset),
                "finetune": {"max_steps": 4, "per_device_batch_size": 2, "gradient_accumulation_steps": 1},
                "prompts": ["First prompt here.", "And a second one."],
                "anchors": [],
                "seeds": 1,
                "variants": ["base", "cloned", "finetuned", "finetuned_cloned"],
                "scorers": {"signal": {}},
                "generation": {"max_seconds": 3.0},
            }
        )
    )
    result = run_suite(load_suite(suite_file), tmp_path / "run", progress=False)
    assert result.summary.to_dict()["label"] == TINY_LABEL
    assert all(
        result.summary.to_dict()["samples"][v] == {"n": 2, "failed": 0, "missing": 0, "regenerated": 0}
        for v in ("base", "cloned", "finetuned", "finetuned_cloned")
    )
    assert (tmp_path / "run" / "finetune" / "adapter_config.json").is_file()
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["adapter"].endswith("finetune") and run["label"] == TINY_LABEL


def test_the_1b_config_has_csm_1b_size_and_decodable_codes():
    import torch
    from transformers import CsmForConditionalGeneration

    from ttsbench.models.families.csm import csm_config

    ids = {"<|begin_of_text|>": 256, "<|end_of_text|>": 257, "<|AUDIO|>": 258, "<|audio_eos|>": 259, "<|pad|>": 260}
    config = csm_config("1b", ids, 261)
    with torch.device("meta"):  # no memory: shapes only
        model = CsmForConditionalGeneration(config)
    n = sum(p.numel() for p in model.parameters())
    assert abs(n - 1_766.5e6) < 1e6  # CSM-1B's 1,767 M
    assert config.vocab_size == model.codec_model.config.codebook_size == 2048
    assert config.text_vocab_size == 128256 and config.num_codebooks == 32


def test_perf_generate_compares_the_engines_on_the_tiny_csm(tiny_csm, capsys):
    from ttsbench.cli import main

    assert (
        main(
            [
                "perf",
                "generate",
                "--base",
                str(tiny_csm),
                "--batch-sizes",
                "1,2",
                "--seconds",
                "1",
                "--engines",
                "fast,transformers",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "fast ÷ transformers: loop" in out and TINY_LABEL in out
    assert "bandwidth limit:" in out and "frames/s per batch step" in out and "csm1b.yaml-sized bench" in out
    rows = [line.split() for line in out.splitlines() if line.strip().startswith("2 ") and "÷" not in line]
    assert [r[1] for r in rows] == ["transformers", "fast"]
    per_step = float(re.search(r"= ([0-9.]+) frames/s per batch step", out).group(1))
    for r in rows:  # each engine's share of the bandwidth limit, in %: its frames/s over 2 rows × the limit
        assert 0 < float(r[8]) < 100 and float(r[8]) == pytest.approx(100 * float(r[2]) / (2 * per_step), rel=0.01)
    assert main(["perf", "generate", "--engines", "fast,vllm"]) == 2
    assert "--engines 'fast,vllm': choose from transformers, eager, fast, compiled" in capsys.readouterr().err


def test_perf_generate_times_the_compiled_engine_apart_from_its_compiling(tiny_csm, capsys, cxx):
    from ttsbench.cli import main

    assert (
        main(
            [
                "perf",
                "generate",
                "--base",
                str(tiny_csm),
                "--batch-sizes",
                "1",
                "--seconds",
                "1",
                "--engines",
                "compiled",
            ]
        )
        == 0
    )  # compiling: its first batch's time is shown apart
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if line.strip().startswith("1 ")]
    assert rows == [rows[0]] and rows[0][1] == "compiled" and float(rows[0][5]) > float(rows[0][4])


def test_finetune_settings_come_from_yaml_then_flags(tmp_path):
    from ttsbench.core.errors import UserError
    from ttsbench.models.families import family

    path = tmp_path / "ft.yaml"
    path.write_text("r: 8\nlearning_rate: 0.001\ntarget_modules: [q_proj, v_proj]\n")
    options = FinetuneOptions.from_yaml(path, learning_rate=0.0005)
    assert (options.r, options.learning_rate, options.target_modules) == (8, 0.0005, ("q_proj", "v_proj"))
    assert options.lora_alpha is None  # not set: the model family's, filled in when training starts
    resolved = family("csm").options(options)
    assert (resolved.r, resolved.lora_alpha, resolved.warmup_steps, resolved.seed) == (8, 16, 3, 3407)  # the workshop's
    path.write_text("rank: 8\n")
    with pytest.raises(UserError, match="ft.yaml: unknown setting.*rank"):
        FinetuneOptions.from_yaml(path)


def test_a_killed_fine_tune_resumes_from_its_checkpoint(tiny_csm, voice_dataset, tmp_path):
    from transformers import TrainerCallback

    class Kill(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 5:
                raise KeyboardInterrupt  # as if the machine went away after step 5

    options = FinetuneOptions(
        max_steps=6, save_steps=2, per_device_batch_size=2, gradient_accumulation_steps=1, eval_steps=3
    )
    with pytest.raises(KeyboardInterrupt):
        finetune(voice_dataset, str(tiny_csm), tmp_path / "ft", options, progress=False, callbacks=[Kill()])
    assert not (tmp_path / "ft" / "finetune.json").exists()
    assert (tmp_path / "ft" / "checkpoints" / "checkpoint-4").is_dir()
    result = finetune(voice_dataset, str(tiny_csm), tmp_path / "ft", options, progress=False)
    assert result.trained and result.record.resumed_from == "checkpoint-4"
    assert result.record.steps == 6
    assert [h["step"] for h in result.record.loss_history if "loss" in h] == [1, 2, 3, 4, 5, 6]
    assert not (tmp_path / "ft" / "checkpoints").exists()  # cleaned up once the adapter is saved


def test_merged_checkpoint_serves_the_finetuned_variants(tiny_csm, voice_dataset, tmp_path):
    options = FinetuneOptions(max_steps=3, per_device_batch_size=2, gradient_accumulation_steps=1, learning_rate=5e-3)
    result = finetune(voice_dataset, str(tiny_csm), tmp_path / "ft", options, merge=True, progress=False)
    merged = tmp_path / "ft" / "merged"
    assert result.record.merged == str(merged) and (merged / "config.json").is_file()
    from ttsbench.models.records import read_finetune_record

    assert read_finetune_record(merged).key == result.record.key  # found one level up
    assert json.loads((merged / "ttsbench.json").read_text())["label"] == TINY_LABEL
    synth = load_synth(ModelSpec("csm", str(tiny_csm)), merged)
    assert synth.tuned is not synth.net  # a second model, not an adapter
    tuned = synth.generate([Request("Merged weights.", 2, 2.0, adapter=True)])[0]
    base = synth.generate([Request("Merged weights.", 2, 2.0, adapter=False)])[0]
    assert tuned.error is None and len(tuned.audio) > 0
    assert len(tuned.audio) != len(base.audio) or not np.allclose(tuned.audio, base.audio)


def test_gradient_checkpointing_gives_the_same_loss_and_gradients(tiny_csm):
    """PEFT + gradient checkpointing used to crash in the depth decoder (an in-place write into a
    leaf); it must now train, and checkpointing must change memory only, not the gradients."""
    import torch

    from ttsbench.models.train import load_model

    audio = np.random.default_rng(0).normal(0, 0.1, 24000).astype(np.float32)
    results = []
    for checkpointing in (False, True):
        torch.manual_seed(0)
        model, processor = load_model(
            "peft", str(tiny_csm), "cpu", FinetuneOptions(gradient_checkpointing=checkpointing)
        )
        for name, p in model.named_parameters():  # LoRA B starts at zero: give it values so A gets gradients
            if "lora_B" in name:
                torch.nn.init.normal_(p, std=0.02, generator=torch.Generator().manual_seed(hash(name) % 2**31))
        assert model.is_gradient_checkpointing == checkpointing
        turn = [{"role": "0", "content": [{"type": "text", "text": "hello there"}, {"type": "audio", "path": audio}]}]
        inputs = processor.apply_chat_template(turn, tokenize=True, return_dict=True, output_labels=True)
        loss = model(**inputs).loss
        loss.backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
        results.append((loss.item(), grads))
    (loss_plain, plain), (loss_ckpt, ckpt) = results
    assert loss_ckpt == pytest.approx(loss_plain, rel=1e-6)
    assert plain.keys() == ckpt.keys() and any("depth_decoder" in n for n in plain)
    for name in plain:
        torch.testing.assert_close(ckpt[name], plain[name], rtol=1e-4, atol=1e-6, msg=name)
        assert plain[name].abs().sum() > 0, name  # every LoRA matrix, backbone and depth decoder, learns


def test_finetune_with_gradient_checkpointing_trains(tiny_csm, voice_dataset, tmp_path):
    options = FinetuneOptions(
        max_steps=4,
        per_device_batch_size=2,
        gradient_accumulation_steps=1,
        learning_rate=2e-3,
        eval_steps=100,
        gradient_checkpointing=True,
    )
    record = finetune(voice_dataset, str(tiny_csm), tmp_path / "gc", options, progress=False).record
    assert record.steps == 4 and record.settings["gradient_checkpointing"] is True
    assert all(np.isfinite(h["loss"]) for h in record.loss_history if "loss" in h)


def test_the_trainer_logs_the_models_own_loss(tuned, tiny_csm):
    """Backbone + depth decoder, each a mean over its tokens — what `model(**inputs).loss` gives and
    what Unsloth logs; not the depth-decoder sum over codebooks that `num_items_in_batch` produced."""
    import math

    from transformers import CsmConfig

    config = CsmConfig.from_pretrained(tiny_csm)
    chance = 2 * math.log(config.vocab_size)  # both terms of an untrained model near ln(vocab)
    first = next(h["loss"] for h in tuned.record.loss_history if "loss" in h)
    assert 0.6 * chance < first < 1.4 * chance, (first, chance)


def test_a_diverged_fine_tune_fails_loudly_and_saves_no_adapter(tiny_csm, voice_dataset, tmp_path):
    from ttsbench.models.train import FinetuneError

    out = tmp_path / "ft"
    options = FinetuneOptions(
        max_steps=6, learning_rate=1e9, per_device_batch_size=2, gradient_accumulation_steps=1, eval_steps=100
    )
    with pytest.raises(FinetuneError, match=r"diverged at step \d+ .*lower --learning-rate"):
        finetune(voice_dataset, str(tiny_csm), out, options, progress=False)
    from ttsbench.models.records import FinetuneRecord

    record = FinetuneRecord.read(out)
    assert (
        record.diverged["step"] <= 6
        and record.diverged["what"] in ("loss", "grad_norm")
        or record.diverged["what"].startswith("adapter weight")
    )
    assert not (out / "adapter_config.json").exists() and not (out / "checkpoints").exists()
    from ttsbench.gates.gates import finite

    assert not finite(float("nan")) and not finite(float("inf")) and finite(0.0)


def test_finetune_cli_exits_non_zero_when_training_diverges(tiny_csm, voice_dataset, tmp_path, capsys):
    from ttsbench.cli import main

    code = main(
        [
            "finetune",
            str(voice_dataset),
            "--base",
            str(tiny_csm),
            "--out",
            str(tmp_path / "ft"),
            "--max-steps",
            "4",
            "--learning-rate",
            "1e9",
            "--per-device-batch-size",
            "2",
            "--gradient-accumulation-steps",
            "1",
            "--quiet",
        ]
    )
    assert code != 0 and "diverged" in capsys.readouterr().err


def test_finetune_never_replaces_another_fine_tune_unless_asked(tuned, tiny_csm, voice_dataset, tmp_path):
    import shutil

    from ttsbench.models.train import FinetuneError

    out = tmp_path / "ft"
    shutil.copytree(tuned.out, out)
    before = (out / "adapter_model.safetensors").read_bytes()
    other = FinetuneOptions(max_steps=2, per_device_batch_size=2, gradient_accumulation_steps=1, learning_rate=1e-3)
    with pytest.raises(FinetuneError, match=r"holds a fine-tune of other .*(max_steps|learning_rate).*--overwrite"):
        finetune(voice_dataset, str(tiny_csm), out, other, progress=False)
    assert (out / "adapter_model.safetensors").read_bytes() == before
    replaced = finetune(voice_dataset, str(tiny_csm), out, other, progress=False, overwrite=True)
    assert replaced.trained and replaced.record.steps == 2


def test_the_same_seed_and_settings_give_the_same_loss_history(tiny_csm, voice_dataset, tmp_path):
    """The LoRA weights are drawn after seeding: three runs used to part ways at step 3."""
    options = FinetuneOptions(
        max_steps=5, per_device_batch_size=2, gradient_accumulation_steps=1, learning_rate=2e-3, eval_steps=100
    )
    import torch

    torch.manual_seed(12345)  # whatever the process did before must not matter
    first = finetune(voice_dataset, str(tiny_csm), tmp_path / "a", options, progress=False).record
    torch.rand(7)
    second = finetune(voice_dataset, str(tiny_csm), tmp_path / "b", options, progress=False).record
    assert first.losses == second.losses and len(first.losses) == 5
