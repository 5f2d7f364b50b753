"""The README's pictures, made by the demo (run after `make demo`):

    .venv/bin/python scripts/readme_figures.py

- docs/figures/readme-answer.png: the verdict and answer table of runs/demo/report.html, as Chromium shows
  them at 1280 px;
- docs/figures/readme-curve.svg: similarity against training rows from a small sweep of the demo suite
  (4 sizes, one seed, 10 optimiser steps per point, WER and similarity only) into runs/demo/sweep.

Both come from the tiny random CSM, and both say so.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIGURES = REPO / "docs" / "figures"


def answer_png(report: Path, out: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        sys.exit("chromium and chromium-driver are needed: `make system-deps` installs them")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,1400", "--hide-scrollbars"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.get(report.as_uri())
        first = driver.find_element(By.CSS_SELECTOR, "p.verdict")
        table = driver.find_element(By.CSS_SELECTOR, "table.answer")
        top, bottom = first.rect["y"] - 8, table.rect["y"] + table.rect["height"] + 8
        right = int(max(table.rect["x"] + table.rect["width"], first.rect["x"] + first.rect["width"])) + 16
        driver.set_window_size(1280, int(bottom) + 200)
        driver.execute_script("window.scrollTo(0, arguments[0])", top)
        whole = FIGURES / "readme-answer-full.png"
        driver.save_screenshot(str(whole))
    finally:
        driver.quit()
    from PIL import Image

    with Image.open(whole) as img:
        img.crop((0, 0, min(img.width, right), int(bottom - top))).save(out)
    whole.unlink()


def curve_svg(out: Path) -> None:
    import dataclasses

    import ttsbench as tb

    suite = tb.load(REPO / "suites" / "demo.yaml", adapter=None, finetune={"max_steps": 10}, gates=[], report=None)
    suite = dataclasses.replace(
        suite, scorers={"wer": {"asr": "tiny.en"}, "speaker_sim": {"encoder": "resemblyzer"}}
    )  # the curve's metrics alone: no naturalness models per point
    sweep = tb.sweep(suite, sizes=[4, 8, 12, 16], seeds=[0], out=REPO / "runs" / "demo" / "sweep", progress=False)
    sweep.figure("speaker_sim").save(out)


def main() -> int:
    report = REPO / "runs" / "demo" / "report.html"
    if not report.is_file():
        sys.exit(f"{report}: missing; run `make demo` first")
    FIGURES.mkdir(parents=True, exist_ok=True)
    answer_png(report, FIGURES / "readme-answer.png")
    curve_svg(FIGURES / "readme-curve.svg")
    print(f"wrote {FIGURES / 'readme-answer.png'} and {FIGURES / 'readme-curve.svg'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
