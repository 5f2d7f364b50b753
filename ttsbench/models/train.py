"""`ttsbench finetune`: LoRA on a voice dataset, with eval loss, TensorBoard and a training record.

    from ttsbench.models.train import FinetuneOptions, finetune
    result = finetune("runs/voice", "sesame/csm-1b", "runs/ft", FinetuneOptions(max_steps=60))

Backend: Unsloth's `FastModel` when a CUDA GPU and `unsloth` are present, else transformers +
PEFT — same data, same settings; the choice is printed and recorded. The output folder holds the
adapter (load it with `PeftModel.from_pretrained`), the processor, `finetune.json` and
`tensorboard/`. A call whose dataset, base and settings match an existing `finetune.json` is up to
date and trains nothing; a killed run resumes from its last checkpoint.
"""

from __future__ import annotations

import logging
import dataclasses
import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ttsbench.core.errors import UserError
from ttsbench.core.records import RecordError
from ttsbench.core.versions import package_versions
from ttsbench.dataprep.dataset import DatasetError, decode_rows, load_splits, subset

from .families import Family, family, family_claiming, family_of
from .model import MARKER, checkpoint_label, check_checkpoint, default_dtype, resolve_device
from ttsbench.core.hub import is_local
from .records import STEPS, TARGETS, FinetuneOptions, FinetuneRecord  # noqa: F401  (FinetuneOptions: this stage's options)

log = logging.getLogger(__name__)


@dataclass
class FinetuneResult:
    out: Path
    record: FinetuneRecord  # what finetune.json holds
    trained: bool  # False when the folder was already up to date


def choose_backend(requested: str, device: str) -> str:
    if requested not in ("auto", "unsloth", "peft"):
        raise UserError(f"backend {requested!r}: use auto, unsloth or peft")
    if requested == "peft":
        return "peft"
    import importlib.util

    usable = device.startswith("cuda") and importlib.util.find_spec("unsloth") is not None
    if requested == "unsloth" and not usable:
        raise UserError("backend unsloth: needs a CUDA GPU and `pip install 'ttsbench[gpu]'`; use --backend peft")
    return "unsloth" if usable else "peft"


#: a setting every fine-tune's key held before families declared their own (its value then for all): kept, so
#: that a fine-tune made earlier is still found up to date
KEYED_BEFORE = {"depth_decoder_frames": 1.0}


def settings_key(base: str, fingerprint: str, options: FinetuneOptions) -> str:
    """Hash of what a fine-tune depends on (options resolved: the family is implied by the base)."""
    data = {"base": base, "dataset": fingerprint, **KEYED_BEFORE, **options.to_dict()}
    data.pop("device")
    data.pop("family")
    for name, default in (("duplicate_frames", "keep"), ("adapter_every", 0)):
        if data.get(name) == default:  # the default, and all there was before the option: same keys
            data.pop(name)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def resolve(options: FinetuneOptions, base: str) -> tuple[FinetuneOptions, Family]:
    """The options with their family named (as given, or from the base's config.json) and its defaults in
    the settings left unset, and the family."""
    fam = family(options.family) if options.family != "auto" else family_of(base)
    if options.family != "auto":
        check_checkpoint(base, expect=fam.name)
    return fam.options(options), fam


class FinetuneError(UserError, ValueError):
    """A fine-tune that cannot start, or that diverged; the message says where and what to change."""


def finetune(
    dataset: str | Path,
    base: str,
    out: str | Path,
    options: FinetuneOptions | None = None,
    merge: bool = False,
    push_to_hub: str | None = None,
    public: bool = False,
    progress: bool = True,
    callbacks: list | None = None,
    overwrite: bool = False,
) -> FinetuneResult:
    """Train LoRA adapters for `base` on the dataset's train split; see the module docstring.

    `callbacks`: extra transformers `TrainerCallback`s (early stopping, your own logging …).
    `overwrite`: replace a fine-tune with other settings already in `out` (refused otherwise).
    A non-finite loss, gradient norm or adapter weight stops training: no adapter is saved,
    `finetune.json` says where it diverged, and FinetuneError is raised.
    """
    out = Path(out)
    check_trainer_names(options or FinetuneOptions())
    base = check_checkpoint(base)
    if is_local(base) and (out.resolve() == Path(base).resolve() or Path(base).resolve() in out.resolve().parents):
        raise FinetuneError(f"--out {out}: is the base checkpoint {base} or inside it; pass a folder of its own")
    if out.exists() and not out.is_dir():
        raise FinetuneError(f"--out {out}: is a file; pass a folder for the adapter")
    from ttsbench.core.locks import hold

    with hold(out, "ttsbench finetune"):
        return _finetune(dataset, base, out, options, merge, push_to_hub, public, progress, callbacks, overwrite)


def check_trainer_names(options: FinetuneOptions, where: str = "") -> None:
    """The scheduler and optimiser are names transformers knows: refused before any data or model is read."""
    from transformers.trainer_utils import SchedulerType
    from transformers.training_args import OptimizerNames

    for name, value, known in (
        ("lr_scheduler", options.lr_scheduler, [s.value for s in SchedulerType]),
        ("optim", options.optim, ["auto", *(o.value for o in OptimizerNames)]),
    ):
        if value not in known:
            place = f"{where}: key '{name}'" if where else f"--{name.replace('_', '-')}"
            shown = ", ".join(known[:12]) + (" …" if len(known) > 12 else "")
            raise FinetuneError(f"{place} {value!r}: not one transformers knows; one of {shown}")


def _finetune(dataset, base, out: Path, options, merge, push_to_hub, public, progress, callbacks, overwrite):
    say = log.info if progress else log.debug
    options, fam = resolve(options or FinetuneOptions(), base)
    splits = load_splits(dataset)
    if not splits.train:
        raise DatasetError(f"dataset {dataset}: the train split is empty")
    key = settings_key(base, splits.fingerprint, options)
    try:
        old = FinetuneRecord.read(out)
    except RecordError:
        if not overwrite:
            raise
        old = None  # damaged: --overwrite fine-tunes again over it
    if old is not None and (out / "adapter_config.json").is_file():
        if old.key == key and (not merge or (out / "merged" / "config.json").is_file()):
            say(f"finetune: {out} is up to date (same dataset, base and settings)")
            if push_to_hub:
                old = _push(out, old, push_to_hub, public, say)
            return FinetuneResult(out, old, False)
        if old.key != key and not overwrite:
            raise FinetuneError(
                f"--out {out}: holds a fine-tune of other data, base or settings "
                f"({_what_differs(old, base, splits.fingerprint, options)}); pass a new --out, "
                "or --overwrite to replace it"
            )

    device = resolve_device(options.device)
    backend = choose_backend(options.backend, device)
    say(f"finetune: backend {backend} on {device}")
    from transformers import set_seed

    set_seed(options.seed)  # before the LoRA weights are drawn: same seed, same start, same loss history
    model, processor = load_model(backend, base, device, options)
    chosen = subset(splits.train, options.rows, options.seed)
    train_rows, bad = decode_rows(splits.dataset, chosen)
    eval_rows, bad_eval = decode_rows(splits.dataset, splits.eval)
    positions = fam.max_positions(model.get_base_model() if hasattr(model, "get_base_model") else model)
    train_rows, filtered, lengths = fam.fit_rows(train_rows, processor, options.max_audio_seconds, positions)
    eval_rows, filtered_eval, _ = fam.fit_rows(eval_rows, processor, options.max_audio_seconds, positions)
    filtered, filtered_eval = bad + filtered, bad_eval + filtered_eval
    if not train_rows:
        raise UserError(
            f"dataset {dataset}: no train clip fits ({len(filtered)} filtered, e.g. "
            f"{filtered[0]['reason'] if filtered else 'none'}); raise --max-audio-seconds or re-cut clips"
        )
    say(
        f"finetune: {len(train_rows)} train clips ({len(filtered)} filtered), {len(eval_rows)} eval clips; "
        f"longest {lengths['max_audio_seconds']} s, {lengths['max_text_tokens']} text tokens"
    )

    watch = divergence_watch()
    checkpoints = sorted((out / "checkpoints").glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    resume = bool(checkpoints) and _checkpoint_key(out) == key
    if not resume:  # adapters kept along an earlier, other fine-tune are not this one's
        shutil.rmtree(out / STEPS, ignore_errors=True)
    label = checkpoint_label(base)
    keep = [snapshot_saver(out, options.adapter_every, label)] if options.adapter_every else []
    trainer = _trainer(
        model,
        processor,
        fam,
        train_rows,
        eval_rows,
        out,
        options,
        device,
        backend,
        progress,
        [watch, *keep, *(callbacks or [])],
    )
    if device.startswith("cuda"):
        import torch

        torch.cuda.reset_peak_memory_stats()
    start = time.time()
    _write_checkpoint_key(out, key)
    if resume:
        say(f"finetune: resuming from {checkpoints[-1].name}")
    trainer.train(resume_from_checkpoint=str(checkpoints[-1]) if resume else None)
    wall = time.time() - start
    step = trainer.state.global_step
    diverged = watch.diverged or _bad_weights(model, step)
    if diverged:
        return _diverged(out, diverged, key, base, options, trainer, splits.fingerprint)
    if eval_rows and not any("eval_loss" in e and e.get("step") == step for e in trainer.state.log_history):
        trainer.evaluate()  # the final eval loss, so the record ends with one
    history = loss_history(trainer.state.log_history)  # includes what a resumed checkpoint had logged

    model.save_pretrained(out)
    processor.save_pretrained(out)
    if label:
        (out / MARKER).write_text(json.dumps({"label": label}) + "\n")
    record = FinetuneRecord(
        key=key,
        base=base,
        label=label,
        backend=backend,
        device=device,
        dataset=str(dataset),
        dataset_fingerprint=splits.fingerprint,
        settings=json.loads(json.dumps(options.to_dict())),
        rows={
            "train_split": len(splits.train),
            "chosen": len(chosen),
            "used": len(train_rows),
            "eval": len(eval_rows),
            "clip_ids": [r.clip_id for r in train_rows],
        },
        filtered=filtered,
        filtered_eval=filtered_eval,
        lengths=lengths,
        trainable_parameters=sum(p.numel() for p in model.parameters() if p.requires_grad),
        steps=trainer.state.global_step,
        loss_history=history,
        resumed_from=checkpoints[-1].name if resume else None,
        wall_seconds=round(wall, 2),
        seconds_per_step=round(wall / max(1, trainer.state.global_step), 4),
        peak_memory=_peak_memory(device),
        versions=package_versions(
            "ttsbench", "torch", "transformers", "peft", "unsloth", "unsloth_zoo", "trl", "bitsandbytes", "datasets"
        ),
        created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        snapshots=snapshots(out, step) if options.adapter_every else [],
    )
    if merge:
        record = dataclasses.replace(record, merged=str(_merge(model, processor, out / "merged", device, label)))
    record.write(out)
    shutil.rmtree(out / "checkpoints", ignore_errors=True)  # only for resuming; the adapter is saved
    if push_to_hub:  # the adapter as saved, once everything is written: a failed push loses nothing
        record = _push(out, record, push_to_hub, public, say)
    return FinetuneResult(out, record, True)


def _push(out: Path, record: FinetuneRecord, repo: str, public: bool, say) -> FinetuneRecord:
    """Push the saved adapter (with its processor and finetune.json) to the Hub; the record says where it went."""
    from ttsbench.core.hub import push_folder

    say(f"finetune: pushing the adapter in {out} to the Hub as {repo} ({'public' if public else 'private'})")
    url = push_folder(out, repo, public, skip=("checkpoints/*", "steps/*", "merged/*", "tensorboard/*"))
    record = dataclasses.replace(record, pushed_to=repo)
    record.write(out)
    say(f"finetune: pushed {url}")
    return record


def snapshot_saver(out: Path, every: int, label: str):
    """A TrainerCallback that keeps the adapter every `every` optimiser steps in OUT/steps/step-N (the last step's
    is OUT itself), each with the checkpoint's label: the points of a sweep over training steps."""
    from transformers import TrainerCallback

    class SnapshotSaver(TrainerCallback):
        def on_step_end(self, args, state, control, model=None, **kwargs):
            step = state.global_step
            if step % every or step >= state.max_steps or model is None:
                return
            folder = out / STEPS / f"step-{step}"
            tmp = folder.with_name(folder.name + ".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            model.save_pretrained(tmp)
            if label:
                (tmp / MARKER).write_text(json.dumps({"label": label}) + "\n")
            shutil.rmtree(folder, ignore_errors=True)
            tmp.rename(folder)  # whole or not at all: a kill while saving leaves no half adapter

    return SnapshotSaver()


def snapshots(out: Path, last: int) -> list[dict]:
    """{step, path} of every adapter kept along the way (path relative to OUT), then the last step's (OUT)."""
    kept = [
        (int(p.name.split("-")[1]), p)
        for p in (out / STEPS).glob("step-*")
        if p.name.split("-")[1].isdigit() and (p / "adapter_config.json").is_file()
    ]
    rows = [{"step": n, "path": str(p.relative_to(out))} for n, p in sorted(kept) if n < last]
    return rows + [{"step": last, "path": "."}]


def divergence_watch():
    """A TrainerCallback that stops training at the first non-finite loss or gradient norm."""
    import math

    from transformers import TrainerCallback

    class DivergenceWatch(TrainerCallback):
        diverged: dict | None = None  # {step, what, value} of the first non-finite value

        def on_log(self, args, state, control, logs=None, **kwargs):
            for what in ("loss", "grad_norm"):
                value = (logs or {}).get(what)
                if value is not None and not math.isfinite(float(value)) and self.diverged is None:
                    self.diverged = {"step": state.global_step, "what": what, "value": str(float(value))}
                    control.should_training_stop = True

    return DivergenceWatch()


def _bad_weights(model, step: int) -> dict | None:
    import torch

    for name, p in model.named_parameters():
        if p.requires_grad and not torch.isfinite(p).all():
            return {"step": step, "what": f"adapter weight {name}", "value": "non-finite"}
    return None


def _diverged(out: Path, diverged: dict, key: str, base: str, options: FinetuneOptions, trainer, fingerprint):
    """Record where training diverged, keep no adapter or checkpoint of it, and raise."""
    record = FinetuneRecord(
        key="",
        diverged=diverged,
        base=base,
        dataset_fingerprint=fingerprint,
        settings=json.loads(json.dumps(options.to_dict())),
        steps=trainer.state.global_step,
        loss_history=loss_history(trainer.state.log_history),
        created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )
    shutil.rmtree(out / "checkpoints", ignore_errors=True)
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        (out / name).unlink(missing_ok=True)  # a stale adapter must not pass for this run's
    record.write(out)
    raise FinetuneError(
        f"finetune: training diverged at step {diverged['step']} ({diverged['what']} "
        f"{diverged['value']}) with learning rate {options.learning_rate:g}; lower --learning-rate "
        f"or check the data; no adapter was saved (see {out / 'finetune.json'})"
    )


def _what_differs(old: FinetuneRecord, base: str, fingerprint: str, options: FinetuneOptions) -> str:
    diffs = [
        k
        for k, v in options.to_dict().items()
        if k != "device" and old.settings.get(k, v) != (list(v) if isinstance(v, tuple) else v)
    ]
    if old.base != base:
        diffs.insert(0, "base")
    if old.dataset_fingerprint != fingerprint:
        diffs.insert(0, "dataset")
    if old.diverged:
        diffs.append("it diverged")
    return ", ".join(diffs) or "an older version's record"


def lora_targets(model, options: FinetuneOptions) -> list[str]:
    """The full names of the layers LoRA goes on (the family decides which: never a codec)."""
    if options.family != "auto":
        return family(options.family).lora_targets(model, tuple(options.target_modules))
    net = model.get_base_model() if hasattr(model, "get_base_model") else model
    return family_claiming(net.config.to_dict(), "the model").lora_targets(model, tuple(options.target_modules))


def load_model(backend: str, base: str, device: str, options: FinetuneOptions):
    """(PEFT-wrapped model with LoRA on, processor) for the chosen backend."""
    options, fam = resolve(options, base)
    if backend == "unsloth":
        import unsloth  # noqa: F401  (patches transformers; must come first)
        from unsloth import FastModel

        model, processor = fam.unsloth_load(base, max_seq_length=2048)
        model = FastModel.get_peft_model(
            model,
            r=options.r,
            lora_alpha=options.lora_alpha,
            lora_dropout=options.lora_dropout,
            target_modules=fam.lora_targets(model, tuple(options.target_modules)),
            use_rslora=options.use_rslora,
            bias="none",
            use_gradient_checkpointing="unsloth",
            random_state=options.seed,
        )
        fam.after_lora(model)
        return model, processor
    from peft import LoraConfig, get_peft_model

    model, processor = fam.load(base, device, default_dtype(device))
    model.train()
    config = LoraConfig(
        r=options.r,
        lora_alpha=options.lora_alpha,
        lora_dropout=options.lora_dropout,
        target_modules=fam.lora_targets(model, tuple(options.target_modules)),
        use_rslora=options.use_rslora,
        bias="none",
    )
    model = get_peft_model(model, config)
    if options.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        fam.after_lora(model)
    return model, processor


def loss_history(logs: list[dict]) -> list[dict]:
    """Trainer logs as a list of {step, loss, grad_norm, learning_rate, eval_loss?}, one row per step."""
    rows: dict[int, dict] = {}
    for entry in logs:
        values = {
            k: round(float(entry[k]), 6)
            for k in ("loss", "grad_norm", "eval_loss", "learning_rate")
            if entry.get(k) is not None
        }
        if values:
            rows.setdefault(int(entry["step"]), {"step": int(entry["step"])}).update(values)
    return [rows[k] for k in sorted(rows)]


def _trainer(model, processor, fam, train_rows, eval_rows, out, options, device, backend, progress, callbacks):
    import torch
    from torch.utils.tensorboard import SummaryWriter
    from transformers import Trainer, TrainingArguments
    from transformers.integrations import TensorBoardCallback

    cuda = device.startswith("cuda")
    # Mixed precision (autocast) only for Unsloth. The PEFT path loads the base in bf16/fp16 and trains fp32
    # LoRA weights without autocast: on CUDA, autocast runs `sum` in fp32, so CSM's audio-frame embeddings
    # (a sum over codebooks) come out fp32 and its in-place merge into the bf16 text embeddings fails
    # ("Index put requires the source and destination dtypes match"; measured on an H100).
    amp = cuda and backend == "unsloth"
    bf16 = amp and torch.cuda.is_bf16_supported()
    optim = options.optim if options.optim != "auto" else ("adamw_8bit" if cuda else "adamw_torch")
    args = TrainingArguments(
        output_dir=str(out / "checkpoints"),
        per_device_train_batch_size=options.per_device_batch_size,
        per_device_eval_batch_size=options.per_device_batch_size,
        gradient_accumulation_steps=options.gradient_accumulation_steps,
        warmup_steps=options.warmup_steps,
        num_train_epochs=options.epochs,
        max_steps=options.max_steps,
        learning_rate=options.learning_rate,
        weight_decay=options.weight_decay,
        lr_scheduler_type=options.lr_scheduler,
        optim=optim,
        seed=options.seed,
        data_seed=options.seed,
        bf16=bf16,
        fp16=amp and not bf16,
        logging_steps=1,
        logging_nan_inf_filter=False,
        eval_strategy="steps" if eval_rows else "no",
        eval_steps=options.eval_steps,
        save_strategy="steps",
        save_steps=options.save_steps,
        save_total_limit=1,
        report_to="none",
        remove_unused_columns=False,
        label_names=["labels"],
        disable_tqdm=not progress,
        dataloader_num_workers=0,
        use_cpu=not cuda,
    )
    writer = SummaryWriter(str(out / "tensorboard"))
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=fam.train_dataset(train_rows, processor, options),
        eval_dataset=fam.eval_dataset(eval_rows, processor, options) if eval_rows else None,
        data_collator=lambda f: fam.collate(f, processor, model.dtype),
        callbacks=[TensorBoardCallback(tb_writer=writer), *callbacks],
    )
    # CSM's loss is the backbone's (codebook 0) plus the depth decoder's (the other codebooks), each a mean
    # over its tokens. Handed `num_items_in_batch` (the frame count), transformers' CSM divides the depth
    # decoder's *sum over frames × codebooks* by the frame count: that term weighs 31× on CSM-1B, the loss
    # reads ~250 instead of ~15, and it no longer matches Unsloth's (measured on an H100). Means, as both
    # the model's own forward and Unsloth compute it.
    trainer.model_accepts_loss_kwargs = False
    if not progress:
        from transformers.trainer_callback import PrinterCallback, ProgressCallback

        trainer.remove_callback(PrinterCallback)
        trainer.remove_callback(ProgressCallback)
    return trainer


def _checkpoint_key(out: Path) -> str:
    path = out / "checkpoints" / "key"
    return path.read_text().strip() if path.is_file() else ""


def _write_checkpoint_key(out: Path, key: str) -> None:
    (out / "checkpoints").mkdir(parents=True, exist_ok=True)
    (out / "checkpoints" / "key").write_text(key + "\n")


def _merge(model, processor, path: Path, device: str, label: str) -> Path:
    """The adapter folded into the base weights, saved in 16-bit beside its processor."""
    import torch

    merged = model.merge_and_unload()
    merged = merged.to(
        torch.bfloat16 if not device.startswith("cuda") or torch.cuda.is_bf16_supported() else torch.float16
    )
    merged.save_pretrained(path)
    processor.save_pretrained(path)
    if label:
        (path / MARKER).write_text(json.dumps({"label": label}) + "\n")
    return path


def _peak_memory(device: str) -> dict:
    if device.startswith("cuda"):
        import torch

        return {"gpu_peak_gib": round(torch.cuda.max_memory_allocated() / 2**30, 3)}
    import resource

    return {"process_peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3)}
