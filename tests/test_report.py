"""`ttsbench report`: content, escaping, incomplete runs, incomparable runs, and a headless browser."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ttsbench.reports.html import ReportError, build_report, comparable, load_run, sentence

pytestmark = pytest.mark.slow
ARTIFACTS = Path(os.environ.get("TTSBENCH_ARTIFACTS", Path(__file__).resolve().parents[1] / "artifacts"))
CHECK = """<script>
window.addEventListener('load', async () => {
  const players = [...document.querySelectorAll('audio')];
  const found = await Promise.all(players.map(a => new Promise(done => {
    if (a.readyState >= 1) return done(a.duration);
    a.addEventListener('loadedmetadata', () => done(a.duration));
    a.addEventListener('error', () => done(-1));
    a.load();
  })));
  const out = document.createElement('pre'); out.id = 'audio-check';
  out.textContent = JSON.stringify(found); document.body.appendChild(out);
});
</script></body>"""


def test_report_shows_every_variant_sample_and_comparison(tiny_run, tmp_path):
    result = build_report([tiny_run], tmp_path / "report.html")
    html = result.path.read_text()
    samples = [json.loads(line) for line in (tiny_run / "samples.jsonl").read_text().splitlines()]
    shown = [s for s in samples if s["audio_path"] and s["variant"] != "ground_truth"]
    references = list((tiny_run / "audio" / "reference").glob("*.wav"))
    assert references and result.audio_elements == len(shown) + len(references)
    assert html.count("<audio ") == result.audio_elements
    assert html.count("data:audio/ogg;base64,") == result.audio_elements
    for v in ("base", "cloned", "finetuned", "finetuned_cloned", "ground_truth", "impostor"):
        assert f"<td>{v}</td>" in html
    assert "tiny random model — pipeline check only" in html
    assert "Fine-tuning loss" in html and "Speaker similarity to the reference clips" in html
    assert "more similar to the reference voice than" in html or "less similar to the reference voice than" in html
    assert not result.missing
    info = json.loads((tmp_path / "report.json").read_text())
    assert info["audio_elements"] == result.audio_elements and info["missing"] == []


def test_report_escapes_text_from_the_run(tiny_run, tmp_path):
    html = build_report([tiny_run], tmp_path / "report.html").path.read_text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html


def test_report_can_keep_audio_beside_the_page(tiny_run, tmp_path):
    result = build_report([tiny_run], tmp_path / "out" / "report.html", audio_dir=tmp_path / "out" / "audio")
    html = result.path.read_text()
    srcs = re.findall(r'<audio controls preload="metadata" src="([^"]+)"', html)
    assert len(srcs) == result.audio_elements and "base64" not in html
    assert all((tmp_path / "out" / s).is_file() for s in srcs)


def test_half_finished_and_empty_runs_show_what_is_missing(tiny_run, tmp_path):
    half = tmp_path / "half"
    shutil.copytree(tiny_run, half)
    lines = (half / "samples.jsonl").read_text().splitlines()
    (half / "samples.jsonl").write_text("\n".join(lines[:5]) + "\n")
    (half / "summary.json").unlink()
    result = build_report([half], tmp_path / "half.html")
    assert any("not generated yet" in m for m in result.missing)
    assert "Not complete" in result.path.read_text()

    empty = tmp_path / "empty"
    empty.mkdir()
    shutil.copy(tiny_run / "run.json", empty / "run.json")
    result = build_report([empty], tmp_path / "empty.html")
    assert any("base: 4 of 4 samples not generated yet" in m for m in result.missing)

    with pytest.raises(ReportError, match="not a run directory"):
        build_report([tmp_path], tmp_path / "x.html")


def test_runs_scored_with_different_models_are_not_compared(tiny_run, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(tiny_run, other)
    summary = json.loads((other / "summary.json").read_text())
    summary["scorers"] = [s.replace("wer:", "wer:turbo-") for s in summary["scorers"]]
    (other / "summary.json").write_text(json.dumps(summary))
    views = [load_run(tiny_run), load_run(other)]
    assert "not compared" in comparable(views) and "different ASR or speaker" in comparable(views)
    assert comparable(views[:1]) is None
    html = build_report([tiny_run, other], tmp_path / "two.html").path.read_text()
    assert "are not compared" in html


def test_comparisons_are_worded_plainly_in_the_words_each_scorer_declares():
    from ttsbench.benchmark.records import Comparison
    from ttsbench.benchmark.scorers import declared

    words = declared(["wer", "speaker_sim"])
    c = Comparison("finetuned_cloned", "base", "speaker_sim", 0.12, 0.08, 0.16, 0.0002, 20)
    assert sentence(c, words["speaker_sim"]) == (
        "finetuned_cloned is more similar to the reference voice than base by 0.12 [0.08, 0.16], p < 0.001 (20 prompts)"
    )
    w = Comparison("finetuned", "cloned", "wer", -0.02, -0.05, 0.01, 0.3, 20)
    assert sentence(w, words["wer"]).startswith(
        "finetuned makes fewer word errors than cloned by 2 points of WER [-1, 5]"
    )
    assert sentence(w, words["wer"]).endswith("the interval includes no difference")
    assert sentence(c).startswith("finetuned_cloned has higher speaker_sim than base")  # an undeclared metric


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def test_report_in_headless_chromium(tiny_run, tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; `make system-deps` installs it")
        pytest.skip("chromium is not installed")
    report = build_report([tiny_run], tmp_path / "report.html").path
    checked = tmp_path / "checked.html"
    checked.write_text(report.read_text().replace("</body>", CHECK))
    flags = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--autoplay-policy=no-user-gesture-required",
    ]
    run = subprocess.run(
        flags + ["--enable-logging=stderr", "--v=0", "--virtual-time-budget=20000", "--dump-dom", checked.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    console = [line for line in run.stderr.splitlines() if ":CONSOLE(" in line or "Uncaught" in line]
    assert not console, console
    found = re.search(r'<pre id="audio-check">([^<]*)</pre>', run.stdout)
    assert found, run.stdout[-2000:]
    durations = json.loads(found.group(1))
    assert len(durations) == report.read_text().count("<audio ") > 0
    assert all(d > 0 for d in durations), durations  # every player has a playable source
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report.png"
    subprocess.run(
        flags + ["--window-size=1280,2400", f"--screenshot={shot}", report.as_uri()], capture_output=True, timeout=120
    )
    assert shot.is_file() and shot.stat().st_size > 10_000


def test_the_report_read_by_a_person(tiny_run, tmp_path):
    """In Chromium at 1280 px: the comparisons users ask about first and the rest folded; the grid
    scrolls in its own box with the prompt column in view; a runaway transcript is folded; the
    listeners' verdict and the metrics' agreement with it are shown."""
    chromium, driver_path = _chromium(), shutil.which("chromedriver")
    if not chromium or not driver_path:
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver are needed; `make system-deps` installs them")
        pytest.skip("chromium or chromedriver is not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    from ttsbench.listening.server import ListenTest
    from ttsbench.benchmark.store import RunStore

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    lines = (run / "scores.jsonl").read_text().splitlines()
    for k, line in enumerate(lines):  # one sample's transcript: noise that Whisper filled with 300 words
        d = json.loads(line)
        if d["scorer"].startswith("wer:") and d["variant"] == "base":
            next(v for v in d["values"] if v["metric"] == "wer")["detail"]["hyp_norm"] = " ".join(["blah"] * 300)
            lines[k] = json.dumps(d)
            break
    (run / "scores.jsonl").write_text("\n".join(lines) + "\n")
    test = ListenTest(run, trials=12)
    for rater in ("ann", "bob"):
        while not (state := test.state(rater))["finished"]:
            trial = test.plan_of(rater)[state["trial"]["index"]]
            prefer = "a" if trial.samples[0][0] in ("finetuned_cloned", "ground_truth") else "b"
            test.answer({"rater": rater, "trial": trial.index, "answer": {"similar": prefer, "natural": "same"}})
    from ttsbench.listening.analysis import summary_of

    assert summary_of(RunStore(run)).n_ratings == 2 * len(test.plan_of("ann"))
    report = build_report([run], tmp_path / "report.html").path

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.get(report.as_uri())
        js = driver.execute_script
        assert js("return document.documentElement.scrollWidth") <= js("return window.innerWidth")  # no page overflow
        # the first screen is the answer: a verdict, then each variant against base and cloned, coloured
        verdict = driver.find_element(By.CSS_SELECTOR, "p.verdict")
        assert verdict.is_displayed() and verdict.rect["y"] < 1000 and "sounds most like the speaker" in verdict.text
        assert "tiny random model" in verdict.text  # a random model's verdict says what it is
        table = driver.find_element(By.CSS_SELECTOR, "table.answer")
        assert table.rect["y"] < 1000 and table.is_displayed()
        rows = [
            [c.text for c in r.find_elements(By.TAG_NAME, "td")] for r in table.find_elements(By.TAG_NAME, "tr")[1:]
        ]
        assert [r[:2] for r in rows] == [
            ["cloned", "base"],
            ["finetuned", "base"],
            ["finetuned", "cloned"],
            ["finetuned_cloned", "base"],
            ["finetuned_cloned", "cloned"],
        ]
        heads = [h.text for h in table.find_elements(By.TAG_NAME, "th")]
        assert heads[:2] == ["variant", "against"] and any(h.startswith("Similarity") for h in heads)
        # the first screen fits 1280 px: the answer and the headline tables need no sideways scroll
        for name in ("table.answer", "table.headline"):
            box = driver.find_element(By.CSS_SELECTOR, name).find_element(By.XPATH, "..")
            assert js("return arguments[0].scrollWidth <= arguments[0].clientWidth", box), name
        page = driver.find_element(By.TAG_NAME, "body").text
        assert "-0.000" not in page and "-0.00 " not in page  # no negative zeros
        assert len(driver.find_elements(By.CSS_SELECTOR, "p.label")) == 1  # one banner for the tiny model
        headline = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "table.headline th")]
        assert "WER" in headline and "Similarity" in headline and "wer_micro" not in headline  # declared labels
        cells = table.find_elements(By.CSS_SELECTOR, "td.better, td.worse, td.neutral")
        assert cells and all("[" in c.text for c in cells if c.text != "—")  # each a difference with its interval
        green = js(
            "return getComputedStyle(arguments[0]).backgroundColor",
            table.find_elements(By.CSS_SELECTOR, "td.better")[0],
        )
        assert green != "rgba(0, 0, 0, 0)"  # coloured by direction
        # the sentences are kept, folded, as the detail
        sentences = driver.find_element(By.CSS_SELECTOR, "details.comparisons")
        assert (
            sentences.get_attribute("open") is None and not sentences.find_element(By.CSS_SELECTOR, "li").is_displayed()
        )
        sentences.find_element(By.TAG_NAME, "summary").click()
        first = driver.find_elements(By.CSS_SELECTOR, "ul.cmp li")[0].text
        assert first.startswith("finetuned_cloned") and " base " in first
        folded = sentences.find_element(By.XPATH, ".//details[summary[contains(., 'more comparisons')]]")
        assert folded.get_attribute("open") is None
        assert not folded.find_elements(By.CSS_SELECTOR, "li")[0].is_displayed()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(str(ARTIFACTS / "report-answer.png"))
        box = driver.find_element(By.CSS_SELECTOR, ".gridbox:has(table.grid)")
        assert js("return arguments[0].scrollWidth > arguments[0].clientWidth", box)  # the grid is wider: it scrolls
        cell = box.find_element(By.CSS_SELECTOR, "tr:nth-child(2) td:first-child")
        left = cell.rect["x"]
        js("arguments[0].scrollLeft = 5000", box)
        assert js("return arguments[0].scrollLeft", box) > 0 and abs(cell.rect["x"] - left) < 1  # prompt column stays
        js("arguments[0].scrollLeft = 0", box)
        long = driver.find_element(By.XPATH, "//details[summary[contains(., '260 more words')]]")
        js("arguments[0].scrollIntoView({block: 'center'})", long)
        assert not long.find_element(By.CSS_SELECTOR, "span").is_displayed()
        long.find_element(By.TAG_NAME, "summary").click()
        assert long.find_element(By.CSS_SELECTOR, "span").is_displayed()
        listeners = driver.find_element(By.XPATH, "//h3[.='Listeners']")
        assert listeners.is_displayed()
        text = driver.find_element(By.TAG_NAME, "body").text
        assert "finetuned_cloned was preferred over base as more like the reference voice" in text
        assert "Ranking, more like the reference voice" in text and "speaker_sim" in text
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        driver.execute_script("arguments[0].scrollIntoView()", listeners)
        driver.save_screenshot(str(ARTIFACTS / "report-listeners.png"))
    finally:
        driver.quit()


def test_every_metric_has_one_label_and_no_value_shows_a_negative_zero():
    from ttsbench.benchmark.scorers import SCORERS, declared
    from ttsbench.reports.answer import number

    assert [n for n, m in declared(list(SCORERS)).items() if not m.label] == []
    assert number(-0.0001) == "0.000" and number(-0.0004, 3, sign=True) == "+0.000" and number(-0.01, 2) == "-0.01"
    assert number(None) == "—"
