"""`ttsbench calibrate`: are the scorers trustworthy on real speech?

On a folder with `transcripts.tsv` (path, speaker, text, and optionally language — ISO 639-1, English
where absent): the ASR's WER and CER against the true text (micro and macro, and per language: each
clip is transcribed in its own language by the ASR named, by default the embedded one of that
language), and the speaker encoder's equal error rate with the mean same-speaker and
different-speaker cosine, pairwise and against each speaker's centroid (leave-one-out).
"""

from __future__ import annotations

import csv
from itertools import combinations
from pathlib import Path

import numpy as np

from ttsbench.dataprep.asr import AsrOptions, load_asr
from ttsbench.dataprep.audio import load_audio
from ttsbench.dataprep.constants import ASR_SAMPLE_RATE
from ttsbench.core.errors import UserError

from ttsbench.benchmark.scorers.speaker_sim import SpeakerEncoder
from ttsbench.benchmark.scorers.wer import error_counts, make_normaliser
from ttsbench.core.errors import OptionError
from ttsbench.core.languages import check_language, unspaced


def read_transcripts(folder: Path) -> list[dict]:
    path = Path(folder) / "transcripts.tsv"
    if not path.is_file():
        raise UserError(f"{folder}: no transcripts.tsv (columns path, speaker, text); add one")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if not rows or not {"path", "speaker", "text"} <= set(rows[0]):
        raise UserError(f"{path}: needs a header with columns path, speaker, text")
    return rows


def equal_error_rate(same: list[float], different: list[float]) -> float | None:
    """Where false accepts equal false rejects, from the ROC of same- vs different-speaker scores."""
    if not same or not different:
        return None
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve([1] * len(same) + [0] * len(different), same + different)
    fnr = 1 - tpr
    k = int(np.nanargmin(np.abs(fnr - fpr)))
    return float((fpr[k] + fnr[k]) / 2)


def calibrate(
    folder: str | Path,
    asr: str = "auto",
    encoder: str = "resemblyzer",
    normaliser: str = "whisper",
    source: str | None = None,
) -> dict:
    folder = Path(folder)
    rows = read_transcripts(folder)
    languages = []
    for n, r in enumerate(rows, 2):
        try:
            languages.append(check_language(r.get("language") or "en"))
        except OptionError as e:
            raise UserError(f"{folder / 'transcripts.tsv'}: line {n}: language {e.detail}") from None
    options = {}
    for language in dict.fromkeys(languages):  # every model checked before any audio is read
        try:
            options[language] = AsrOptions(model=asr, language=language)
        except OptionError as e:
            raise UserError(f"calibrate --asr {e.detail}") from None
    audio = [load_audio(folder / r["path"], ASR_SAMPLE_RATE) for r in rows]
    counts = []
    for a, r, language in zip(audio, rows, languages, strict=True):
        model = load_asr(options[language])
        normalise = make_normaliser(normaliser, language)
        hyp = "".join(s.text for s in model.transcribe(a, word_timestamps=False))
        counts.append(error_counts(normalise(r["text"]), normalise(hyp), unspaced(language)))
    per_language = {
        language: {"asr": options[language].model_id, "n_files": languages.count(language)}
        | error_rates([c for c, lang in zip(counts, languages, strict=True) if lang == language])
        for language in options
    }

    enc = SpeakerEncoder(encoder, source)
    emb = [enc.embed(a) for a in audio]
    keep = [k for k, e in enumerate(emb) if e is not None]
    speakers = [rows[k]["speaker"] for k in keep]
    vectors = np.stack([emb[k] for k in keep])
    same, different = [], []
    for i, j in combinations(range(len(keep)), 2):
        (same if speakers[i] == speakers[j] else different).append(float(vectors[i] @ vectors[j]))
    own, other = [], []
    for i, spk in enumerate(speakers):
        for s in set(speakers):
            members = [j for j, t in enumerate(speakers) if t == s and j != i]
            if not members:
                continue
            c = vectors[members].mean(axis=0)
            (own if s == spk else other).append(float(vectors[i] @ (c / np.linalg.norm(c))))
    mean = lambda xs: float(np.mean(xs)) if xs else None  # noqa: E731
    return {
        "data": str(folder),
        "n_files": len(rows),
        "n_speakers": len(set(r["speaker"] for r in rows)),
        "asr": ", ".join(dict.fromkeys(o.model_id for o in options.values())),
        "normaliser": normaliser,
        "encoder": enc.model_id,
        **error_rates(counts),
        "languages": per_language,
        "eer": equal_error_rate(same, different),
        "same_speaker_cos": mean(same),
        "different_speaker_cos": mean(different),
        "same_centroid_cos": mean(own),
        "different_centroid_cos": mean(other),
        "too_short_for_embedding": len(rows) - len(keep),
    }


def error_rates(counts: list[dict]) -> dict:
    """Micro and macro WER and CER of per-clip error counts, and how many clips were transcribed exactly."""
    words = sum(c["ref_words"] for c in counts)
    chars = sum(c["ref_chars"] for c in counts)
    return {
        "wer_micro": sum(c["substitutions"] + c["deletions"] + c["insertions"] for c in counts) / words,
        "wer_macro": float(np.mean([c["wer"] for c in counts])),
        "cer_micro": sum(c["char_errors"] for c in counts) / chars if chars else None,
        "cer_macro": float(np.mean([c["cer"] for c in counts])),
        "exact": sum(c["wer"] == 0 for c in counts),
    }


def report(result: dict) -> str:
    f = lambda v: "n/a (needs two speakers)" if v is None else f"{v:.3f}"  # noqa: E731
    languages = result.get("languages") or {}
    return "\n".join(
        [
            f"calibration on {result['data']} — {result['n_files']} files, {result['n_speakers']} speaker(s)",
            f"ASR {result['asr']} ({result['normaliser']} normaliser): WER micro {result['wer_micro']:.1%}, "
            f"macro {result['wer_macro']:.1%}; CER micro {result['cer_micro']:.1%}; "
            f"{result['exact']} of {result['n_files']} exact",
            *(
                f"  {lang}: {r['n_files']} files, WER {r['wer_micro']:.1%}, CER {r['cer_micro']:.1%}, "
                f"{r['exact']} exact ({r['asr']})"
                for lang, r in languages.items()
                if len(languages) > 1
            ),
            f"speaker encoder {result['encoder']}: EER {f(result['eer'])}",
            f"  cosine same speaker {f(result['same_speaker_cos'])}, "
            f"different {f(result['different_speaker_cos'])} (pairwise)",
            f"  cosine to own centroid {f(result['same_centroid_cos'])}, "
            f"to others' {f(result['different_centroid_cos'])}",
        ]
    )


def embedded_scorers() -> dict:
    """Every registered scorer whose default settings run offline (no download), with those settings."""
    from ttsbench.benchmark.scorers import SCORERS, scorer_class

    return {name: {} for name in SCORERS if scorer_class(name).embedded}


def calibrate_effects(
    folder: str | Path, clips: int = 2, references: int = 3, scorers: dict | None = None, seed: int = 0, progress=None
) -> dict:
    """Each metric's mean over `clips` clips per speaker, clean and under every effect in
    `ttsbench.calibration.effects.EFFECTS`. Each speaker's first `references` clips are its reference clips (for
    the scorers that use them); the next `clips` are perturbed. Failed scores are counted per effect."""
    from ttsbench.calibration.effects import EFFECTS, RATE, apply
    from ttsbench.benchmark.scorers import Item, hand_on, in_order, load_scorer, scorer_class

    folder = Path(folder)
    rows = read_transcripts(folder)
    settings = embedded_scorers() if scorers is None else scorers
    by_speaker: dict[str, list[dict]] = {}
    for r in rows:
        by_speaker.setdefault(r["speaker"], []).append(r)
    short = [s for s, rs in by_speaker.items() if len(rs) < references + 1]
    if short:
        raise UserError(
            f"{folder}: speaker(s) {', '.join(short)} have under {references + 1} clips; "
            f"each needs {references} reference clip(s) and 1 or more to perturb (--references N)"
        )
    audio = {r["path"]: load_audio(folder / r["path"], RATE) for r in rows}
    rng = np.random.default_rng(seed)
    order = in_order(settings)
    shared = {n: load_scorer(n, settings[n]) for n in order if not scorer_class(n).uses_references}
    results = []  # (speaker, clip path, effect name, {metric: value}, {metric: error})
    for speaker, members in by_speaker.items():
        refs, targets = members[:references], members[references : references + clips]
        loaded = {
            n: shared.get(n) or load_scorer(n, settings[n], [(audio[r["path"]], RATE) for r in refs]) for n in order
        }
        others = [r for r in rows if r["speaker"] != speaker]
        for r in targets:
            pool = [audio[o["path"]] for o in rows if o["path"] != r["path"]]
            twin = [o for o in others if o["text"] == r["text"]] or others
            other = audio[twin[0]["path"]] if twin else None
            made = [(e, apply(e, audio[r["path"]], pool, other, rng)) for e in EFFECTS]
            items = [(e, a) for e, a in made if not isinstance(a, str)]
            for e, why in ((e, a) for e, a in made if isinstance(a, str)):
                results.append((speaker, r["path"], e.name, {}, {"*": why}))
            values: list[dict] = [{} for _ in items]
            errors: list[dict] = [{} for _ in items]
            evidence: list[dict] = [{} for _ in items]
            for name in order:
                batch = [
                    Item(a, RATE, r["text"], None, evidence[k] if scorer_class(name).needs else None)
                    for k, (_, a) in enumerate(items)
                ]
                for k, row in enumerate(loaded[name].score(batch)):
                    for v in row:
                        values[k][v.metric] = v.value
                        if v.value is None:
                            errors[k][v.metric] = v.detail.get("error", "no value")
                    hand_on(evidence[k], name, row)  # what the scorers in `needs` read
            results.extend((speaker, r["path"], e.name, values[k], errors[k]) for k, (e, _) in enumerate(items))
            if progress:
                progress(f"{r['path']}: {len(items)} versions scored")
    declared = [
        m for n in order for m in scorer_class(n).declares if m.name in loaded[n].metrics_for(loaded[n].settings)
    ]
    table = []
    for e in EFFECTS:
        mine = [res for res in results if res[2] == e.name]
        row = {"effect": e.name, "kind": e.kind, "amount": e.amount, "clips": len(mine), "mean": {}, "failed": {}}
        for m in declared:
            got = [res[3].get(m.name) for res in mine]
            ok = [v for v in got if v is not None]
            row["mean"][m.name] = float(np.mean(ok)) if ok else None
            if len(ok) < len(got) or not mine:
                row["failed"][m.name] = len(mine) - len(ok)
        row["unavailable"] = sorted({res[4]["*"] for res in mine if "*" in res[4]})
        table.append(row)
    return {
        "data": str(folder),
        "speakers": len(by_speaker),
        "clips": sum(1 for r in results if r[2] == "clean"),
        "references_per_speaker": references,
        "seed": seed,
        "scorers": {n: loaded[n].settings for n in order},
        "metrics": [
            {
                "name": m.name,
                "better": m.better,
                "unit": m.unit,
                "digits": m.digits,
                "headline": m.headline,
                "compared": m.compared,
            }
            for m in declared
        ],
        "effects": table,
        "per_clip": [{"speaker": s, "clip": p, "effect": e, "values": v, "errors": x} for s, p, e, v, x in results],
    }


def effects_table(result: dict, all_metrics: bool = False) -> str:
    """The effects as rows, the (headline and compared) metrics as columns; n/a where no clip scored."""
    shown = [m for m in result["metrics"] if all_metrics or m["headline"] or m["compared"]]
    head = ["effect"] + [m["name"] for m in shown]
    lines = []
    for row in result["effects"]:
        cells = [row["effect"]]
        for m in shown:
            v = row["mean"].get(m["name"])
            failed = row["failed"].get(m["name"], 0)
            cells.append("n/a" if v is None else f"{v:.{m['digits']}f}" + ("*" if failed else ""))
        lines.append(cells)
    widths = [max(len(head[i]), *(len(c[i]) for c in lines)) for i in range(len(head))]

    def fmt(cells):
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=False))
        )

    arrows = {"higher": "↑", "lower": "↓"}
    out = [
        f"effects on {result['data']}: {result['clips']} clip(s) from {result['speakers']} speaker(s), "
        f"{result['references_per_speaker']} reference clip(s) each; mean per effect "
        "(↑ higher is better, ↓ lower is better; * some clips failed, see --json)",
        fmt(head),
        fmt([""] + [arrows.get(m["better"], "") for m in shown]),
    ]
    out += [fmt(c) for c in lines]
    for row in result["effects"]:
        if row["unavailable"]:
            out.append(f"{row['effect']}: not made ({'; '.join(row['unavailable'])})")
    return "\n".join(out)
