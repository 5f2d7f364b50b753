"""The fast CSM engine computes what transformers' generate() computes: the same codes when greedy,
the same token distributions when sampling (a test that can fail: it is shown to fail on a
different temperature), rows stopping on their own; Mimi decoding in batches equals one at a time."""

from pathlib import Path

import numpy as np
import pytest
import torch

from ttsbench.models.families import Context, Request
from ttsbench.models.families.csm import conversation_for, decode_rows, fast_generate

TEXTS = ["Hello there.", "A much longer sentence to say, with a comma.", "Hi", "Numbers: one two three four.", "Why?"]


def _load(path):
    from transformers import AutoProcessor, CsmForConditionalGeneration

    return CsmForConditionalGeneration.from_pretrained(path).eval(), AutoProcessor.from_pretrained(path)


def _inputs(processor, requests):
    return dict(processor.apply_chat_template([conversation_for(r) for r in requests], tokenize=True, return_dict=True))


def _cut(codes, eos, cap):
    """A row's frames up to its first end frame (included) or its cap, and whether it ended by itself."""
    hits = (codes[:, :-1] == eos).all(-1).nonzero()
    end = int(hits[0, 0]) if len(hits) else codes.shape[0]
    return codes[: min(end + 1, cap)], end < cap


def test_greedy_codes_equal_transformers_at_batch_1_and_for_a_padded_batch_with_cloning(tiny_csm):
    model, processor = _load(tiny_csm)
    context = (Context(np.random.default_rng(0).normal(0, 0.1, 24000).astype(np.float32), "reference words"),)
    requests = [Request(TEXTS[0], 0, 3), Request(TEXTS[1], 0, 2, context=context), Request(TEXTS[2], 0, 5)]
    caps = [40, 25, 60]
    with torch.inference_mode():
        one = _inputs(processor, requests[:1])
        assert torch.equal(
            fast_generate(model, one, caps[:1], {}, sample=False),
            model.generate(**one, max_new_tokens=caps[0], do_sample=False),
        )
        batch = _inputs(processor, requests)
        assert len(set(batch["attention_mask"].sum(-1).tolist())) == 3  # left padding really happens
        ours = fast_generate(model, batch, caps, {}, sample=False)
        theirs = model.generate(**batch, max_new_tokens=max(caps), do_sample=False)
    for b, cap in enumerate(caps):
        assert torch.equal(ours[b, :cap], theirs[b, :cap]), f"row {b}"


def test_rows_stop_on_their_own_with_the_same_codes_and_the_batch_ends_when_all_are_done(tiny_csm):
    """A tiny CSM made to stop: its depth decoder always says 0 (zeroed final norm: all logits tie), and
    the backbone's end code 0 gets the head of the code it settles on, nudged, so rows end at
    different frames."""
    model, processor = _load(tiny_csm)
    batch = _inputs(processor, [Request(t, 0, 5) for t in TEXTS])
    with torch.no_grad():
        model.depth_decoder.model.norm.weight.zero_()
        settled = int(torch.mode(model.generate(**batch, max_new_tokens=8, do_sample=False)[:, 2:, 0].flatten()).values)
        nudge = torch.randn(model.lm_head.weight.shape[1], generator=torch.Generator().manual_seed(0))
        model.lm_head.weight[0] = model.lm_head.weight[settled] + 0.01 * nudge
    eos = model.config.codebook_eos_token_id
    with torch.inference_mode():
        theirs = model.generate(**batch, max_new_tokens=60, do_sample=False)
    ends = [_cut(row, eos, 60) for row in theirs]
    stops = sorted(len(codes) for codes, stopped in ends if stopped)
    assert len(set(stops)) >= 3, f"the construction should give rows that stop at different frames: {stops}"
    caps = [60] * len(TEXTS)
    caps[[len(c) for c, _ in ends].index(stops[-1])] = stops[-1] - 2  # the last to stop hits its cap instead
    with torch.inference_mode():
        ours = fast_generate(model, batch, caps, {}, sample=False)
    for b, cap in enumerate(caps):
        mine, mine_stopped = _cut(ours[b], eos, cap)
        ref, ref_stopped = _cut(theirs[b], eos, cap)
        assert torch.equal(mine, ref) and mine_stopped == ref_stopped, f"row {b}"
    assert ours.shape[1] == max(
        min(len(c), cap) for (c, _), cap in zip(ends, caps, strict=False)
    )  # no frame past the last row
    generated = decode_rows(model, ours, caps)
    assert sum(not g.stopped for g in generated) == 1
    per_frame = set()
    for b, (g, cap) in enumerate(zip(generated, caps, strict=False)):
        mine, stopped = _cut(ours[b], eos, cap)
        frames = len(mine) - stopped  # the end frame is not audio
        assert (g.audio is None) == (frames == 0), f"row {b}: audio for each row with a frame, a reason for one without"
        if frames:
            per_frame.add(len(g.audio) / frames)
    assert len(per_frame) == 1 and per_frame.pop().is_integer(), "every row's audio is its own frames, no more"


def _draws(generate, seed, frames=3):
    """Codes (rows, frames, codebooks) from one call on 400 copies of one prompt (own seed: draws independent)."""
    torch.manual_seed(seed)
    with torch.inference_mode():
        return generate(frames)[:, :frames]


def _chi2_p(a, b, vocab):
    from scipy.stats import chi2_contingency

    table = np.stack([np.bincount(a, minlength=vocab), np.bincount(b, minlength=vocab)])
    table = table[:, table.sum(0) > 0]
    return chi2_contingency(table)[1]


def test_sampled_tokens_follow_transformers_distributions_at_the_suites_settings(tiny_csm):
    from ttsbench.models.families.csm import Csm

    model, processor = _load(tiny_csm)
    with torch.no_grad():  # peaked distributions (a random model's are nearly flat), so that top-k/top-p cut
        model.lm_head.weight.mul_(20)
        model.depth_decoder.codebooks_head.weight.mul_(20)
    batch = _inputs(processor, [Request(TEXTS[1], 0, 1)] * 400)
    settings = dict(Csm.generation)
    ours = _draws(lambda n: fast_generate(model, batch, [n] * 400, settings), 0)
    theirs = _draws(
        lambda n: model.generate(**batch, max_new_tokens=n, do_sample=True, depth_decoder_do_sample=True, **settings), 1
    )
    hotter = _draws(
        lambda n: model.generate(
            **batch,
            max_new_tokens=n,
            do_sample=True,
            depth_decoder_do_sample=True,
            **{**settings, "temperature": 1.2, "depth_decoder_temperature": 0.9},
        ),
        2,
    )
    vocab = model.config.vocab_size
    cells = [(f, c) for f in range(3) for c in range(model.config.num_codebooks)]
    same = [_chi2_p(ours[:, f, c].numpy(), theirs[:, f, c].numpy(), vocab) for f, c in cells]
    other = [_chi2_p(ours[:, f, c].numpy(), hotter[:, f, c].numpy(), vocab) for f, c in cells]
    alpha = 0.001 / len(cells)  # Bonferroni over frames × codebooks
    assert min(same) > alpha, f"fast vs transformers differ: p = {min(same):.2g}"
    assert min(other) < alpha, f"the test cannot tell temperature 0.8 from 1.2 (p = {min(other):.2g}): no power"


def test_batched_mimi_decoding_equals_one_row_at_a_time(tiny_csm):
    model, processor = _load(tiny_csm)
    caps = [12, 30, 7]
    torch.manual_seed(1)
    with torch.inference_mode():
        codes = fast_generate(model, _inputs(processor, [Request(t, 0, 3) for t in TEXTS[:3]]), caps, {})
        batched = decode_rows(model, codes, caps)
        single = [decode_rows(model, codes[b : b + 1, :cap], [cap])[0] for b, cap in enumerate(caps)]
        chunked = decode_rows(model, codes, caps, frames_per_call=1)  # one row per codec call
    for b, g in enumerate(batched):
        assert len(g.audio) == len(single[b].audio) == caps[b] * 1920
        np.testing.assert_allclose(g.audio, single[b].audio, atol=1e-5)
        np.testing.assert_allclose(chunked[b].audio, single[b].audio, atol=1e-5)


def test_engine_is_a_suite_setting_recorded_in_the_run_and_a_changed_engine_is_a_new_run(tiny_run):
    import yaml

    from ttsbench.benchmark.records import RunRecord
    from ttsbench.benchmark.runner import RunError, run_suite
    from ttsbench.benchmark.plan import GenerationOptions
    from ttsbench.benchmark.suite import SuiteError, load_suite

    assert GenerationOptions().engine == "fast" and RunRecord.read(tiny_run).engine == "fast"
    path = tiny_run.parent / "tiny.yaml"
    given = yaml.safe_load(path.read_text())
    other = tiny_run.parent / "other-engine.yaml"
    other.write_text(yaml.safe_dump({**given, "generation": {**given["generation"], "engine": "transformers"}}))
    with pytest.raises(RunError, match="generation engine"):  # samples of two engines never mix
        run_suite(load_suite(other), tiny_run, progress=False)
    other.write_text(yaml.safe_dump({**given, "generation": {**given["generation"], "compile": True}}))
    with pytest.raises(RunError, match=r"generation engine \(fast → fast, compiled\)"):
        run_suite(load_suite(other), tiny_run, progress=False)
    other.write_text(yaml.safe_dump({**given, "generation": {**given["generation"], "engine": "vllm-please"}}))
    with pytest.raises(SuiteError, match="generation.engine"):
        load_suite(other)


def test_fast_engine_refuses_settings_it_cannot_apply(tiny_csm):
    from ttsbench.core.errors import UserError

    model, processor = _load(tiny_csm)
    with pytest.raises(UserError, match="repetition|engine: transformers"):
        fast_generate(model, _inputs(processor, [Request("hi", 0, 1)]), [2], {"repetition_penalty": 1.3})


def test_compiled_loop_makes_what_the_eager_loop_makes_with_an_adapter_on_and_off(tiny_csm, cxx):
    """`compile: true` (Inductor on a CPU; CUDA graphs on CUDA are the same functions captured): greedy
    codes equal transformers', sampled codes equal the eager loop's draw for draw (random draws stay
    eager's), and a LoRA adapter switched off and on again is honoured by the compiled graphs."""
    from peft import LoraConfig, get_peft_model

    from ttsbench.models.train import FinetuneOptions, lora_targets

    model, processor = _load(tiny_csm)
    context = (Context(np.random.default_rng(0).normal(0, 0.1, 24000).astype(np.float32), "reference words"),)
    batch = _inputs(
        processor, [Request(TEXTS[0], 0, 3), Request(TEXTS[1], 0, 2, context=context), Request(TEXTS[2], 0, 5)]
    )
    caps = [30, 20, 40]
    settings = {"temperature": 0.8, "top_k": 50, "depth_decoder_temperature": 0.6, "depth_decoder_top_p": 0.9}

    def run(net, sample, compile):
        torch.manual_seed(7)
        return fast_generate(net, batch, caps, settings if sample else {}, sample=sample, compile=compile)

    with torch.inference_mode():
        theirs = model.generate(**batch, max_new_tokens=max(caps), do_sample=False)
        greedy = run(model, False, True)
        for b, cap in enumerate(caps):
            assert torch.equal(greedy[b, :cap], theirs[b, :cap]), f"greedy row {b}"
        assert torch.equal(run(model, True, True), run(model, True, False))
    attention = [
        m for m in lora_targets(model, FinetuneOptions()) if m.endswith(("q_proj", "k_proj", "v_proj", "o_proj"))
    ]
    tuned = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, init_lora_weights=False, target_modules=attention))
    with torch.inference_mode():
        on = run(tuned, True, True)
        with tuned.disable_adapter():
            off = run(tuned, True, True)
            assert torch.equal(off, run(tuned, True, False))
        assert torch.equal(run(tuned, True, True), on) and torch.equal(on, run(tuned, True, False))
        assert not torch.equal(on, off), "the adapter should change what is drawn"


def test_a_machine_that_cannot_compile_gets_one_line_with_the_fix(tiny_csm, monkeypatch):
    from ttsbench.core.errors import UserError

    def broken(fn, **kwargs):
        def call(*args):
            raise torch._dynamo.exc.BackendCompilerFailed(
                fn, RuntimeError("InvalidCxxCompiler: No working C++ compiler found"), None
            )

        return call

    monkeypatch.setattr(torch, "compile", broken)
    model, processor = _load(tiny_csm)
    with pytest.raises(
        UserError,
        match=r"generation.compile: torch.compile failed on cpu \(.*InvalidCxxCompiler.*\); "
        r"set compile: false, or install a C\+\+ compiler",
    ):
        fast_generate(model, _inputs(processor, [Request("hi", 0, 1)]), [2], {}, compile=True)


def test_check_says_whether_compiling_can_work_here(monkeypatch):
    """`ttsbench check` (and bench, before any work) names a missing C++ compiler for compile: true on a CPU."""
    import shutil

    from ttsbench.benchmark.check import CheckError, compile_finding, require

    found = compile_finding()
    assert found.ok == any(shutil.which(c) for c in ("g++", "c++", "clang++")) or torch.cuda.is_available()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    if not torch.cuda.is_available():
        with pytest.raises(
            CheckError,
            match=r"engine compile: .*needs a C\+\+ compiler.*apt-get install g\+\+, or set "
            r"generation: \{compile: false\}",
        ):
            require([compile_finding()])


def _cases(processor):
    """Batch 1; a left-padded batch with a cloning context: the shapes the step must be exact on."""
    context = (Context(np.random.default_rng(0).normal(0, 0.1, 24000).astype(np.float32), "reference words"),)
    return [
        ([Request(TEXTS[0], 0, 3)], [40]),
        ([Request(TEXTS[0], 0, 3), Request(TEXTS[1], 0, 2, context=context), Request(TEXTS[2], 0, 5)], [40, 25, 60]),
    ]


def test_each_frame_is_the_one_step_function_and_its_codes_are_transformers_greedy(tiny_csm, monkeypatch):
    """The function CUDA captures (`FastLoop.step`, reading and writing only the loop's buffers) is what
    makes every frame on a CPU too, one call per frame: its greedy codes equal generate()'s."""
    from ttsbench.models.families.csm import FastLoop

    model, processor = _load(tiny_csm)
    calls = []
    original = FastLoop.step
    monkeypatch.setattr(FastLoop, "step", lambda self: (calls.append(1), original(self))[1])
    for requests, caps in _cases(processor):
        batch = _inputs(processor, requests)
        with torch.inference_mode():
            calls.clear()
            ours = fast_generate(model, batch, caps, {}, sample=False)
            theirs = model.generate(**batch, max_new_tokens=max(caps), do_sample=False)
        assert len(calls) == ours.shape[1] == max(caps)  # a random model never ends: every row to its cap
        for b, cap in enumerate(caps):
            assert torch.equal(ours[b, :cap], theirs[b, :cap]), f"row {b} of {len(caps)}"


def test_the_step_compiles_whole_no_graph_break_no_host_sync_no_data_dependent_shape(tiny_csm):
    """torch.compile(fullgraph=True) over the step fails on a graph break — a host sync (`.item()`, `bool()`
    of a tensor) or a tensor of data-dependent shape would be one, and so would break a CUDA graph. The
    traced step makes the eager step's codes, sampled (random draws as eager's) and greedy."""
    from ttsbench.models.families.csm import FastLoop

    model, processor = _load(tiny_csm)
    requests, caps = _cases(processor)[1]
    batch = _inputs(processor, requests)
    sampling = {"temperature": 0.8, "top_k": 50, "depth_decoder_temperature": 0.6, "depth_decoder_top_p": 0.9}
    for sample in (True, False):

        def frames(traced: bool, sample: bool = sample):
            torch._dynamo.reset()
            loop = FastLoop(model, 3, 256, torch.float32, "cpu", sampling if sample else {}, sample, False)
            if traced:
                loop.run_step = torch.compile(loop.step, fullgraph=True, backend="eager")
            torch.manual_seed(3)
            with torch.inference_mode():
                embeds = model._merge_input_ids_with_input_values(
                    batch["input_ids"], batch["input_values"], batch["input_values_cutoffs"]
                )["inputs_embeds"]
                return loop.run(embeds, batch["attention_mask"], caps, 1)

        assert torch.equal(frames(True), frames(False)), f"sample={sample}"


def test_a_draw_is_the_softmax_of_the_processed_logits_and_never_a_removed_token():
    """Gumbel-max (`pick`): frequencies follow the softmax (chi-square), a token top-k removed never comes."""
    from scipy.stats import chisquare
    from transformers import TopKLogitsWarper

    from ttsbench.models.families.decode import pick

    torch.manual_seed(0)
    logits = torch.tensor([[2.0, 1.0, 0.5, 0.0, -1.0, -3.0]]).repeat(20000, 1)
    drawn = pick(logits, [], True)
    counts = np.bincount(drawn.numpy(), minlength=6)
    expected = torch.softmax(logits[0], -1).numpy() * len(drawn)
    assert chisquare(counts, expected).pvalue > 1e-4
    top2 = pick(logits, [TopKLogitsWarper(2)], True)
    assert set(top2.tolist()) == {0, 1}
    assert torch.equal(pick(logits[:3], [], False), torch.zeros(3, dtype=torch.long))


def test_a_cuda_graph_that_cannot_be_captured_falls_back_to_the_step_and_is_recorded(
    tiny_csm, voice_dataset, tmp_path, monkeypatch, caplog
):
    """The capture is forced to fail (on a CPU it is never tried): that shape generates step by step, with the
    same codes as the eager engine, said once, and run.json and the report record it."""
    import json

    import ttsbench as tb
    from ttsbench.models.families import decode

    suite = {
        "name": "graphs",
        "model": {"backend": "csm", "checkpoint": str(tiny_csm), "device": "cpu"},
        "dataset": str(voice_dataset),
        "variants": ["base"],
        "anchors": [],
        "seeds": 1,
        "prompts": ["Good evening.", "One more."],
        "scorers": {"signal": {}},
        "generation": {"max_seconds": 1.0},
    }
    eager = tb.bench(suite, tmp_path / "eager", progress=False)

    setup = decode.StepLoop.setup

    def capturing(self, *args, **kwargs):
        setup(self, *args, **kwargs)
        self.captured = True  # as on CUDA

    def broken(self):
        raise RuntimeError("operation not permitted when stream is capturing (forced)")

    monkeypatch.setattr(decode.StepLoop, "setup", capturing)
    monkeypatch.setattr(decode.StepLoop, "_graph", broken)
    monkeypatch.setattr(decode, "GRAPH_FALLBACKS", {})
    forced = tb.bench({**suite, "name": "graphs2"}, tmp_path / "forced", progress=False)
    said = [r.message for r in caplog.records if "CUDA graphs off" in r.message]
    assert len(said) == 1 and "forced" in said[0] and "generates step by step" in said[0]
    record = json.loads((tmp_path / "forced" / "run.json").read_text())
    assert record["engine_notes"] and record["engine_notes"][0].startswith("CUDA graphs off for batch")
    shas = {
        s: frame.sort_values("text")["audio"].map(lambda p: Path(p).read_bytes()).tolist()
        for s, frame in (("eager", eager.samples()), ("forced", forced.samples()))
    }
    assert shas["eager"] == shas["forced"]  # the fallback is the eager step: the same audio
    page = tb.report(forced, tmp_path / "r.html")
    assert "CUDA graphs off for batch" in page.path.read_text()
