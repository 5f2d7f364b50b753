"""The documentation: the README stays short, the docs build as a site in strict mode (a broken link or a
missing page fails), every ttsbench command in a code block uses flags its `--help` shows, and every link of
the README, the docs and the notebooks resolves or names a real place (no invented home for this project)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def test_the_readme_is_short():
    assert len((REPO / "README.md").read_bytes()) <= 12 * 1024
    text = (REPO / "README.md").read_text()
    assert text.index("make demo") < 200 and text.index("make test") < 200  # the two commands come first


def test_the_docs_build_strictly(tmp_path):
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent))
    assert mkdocs, "mkdocs is in the test extra; run `make install`"
    done = subprocess.run(
        [mkdocs, "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": str(Path(sys.executable).parent)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "site" / "sweeps" / "index.html").is_file()


def links(text: str) -> list[str]:
    return [m.group(1) for m in LINK.finditer(text)]


def notebook_text(path: Path) -> str:
    return "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"])


def test_every_link_resolves_and_none_invents_a_home():
    sources = [(p, p.read_text()) for p in PAGES]
    sources += [(p, notebook_text(p)) for p in sorted((REPO / "notebooks").glob("*.ipynb"))]
    bad = []
    for path, text in sources:
        for link in links(text):
            if link.startswith(("http://", "https://")):
                if "ttsbench" in link or "colab.research.google.com/github" in link:
                    bad.append(f"{path.name}: {link} (this project has no published home)")
                continue
            target = link.split("#", 1)[0]
            if target and not (path.parent / target).exists():
                bad.append(f"{path.name}: {link} does not resolve")
    assert bad == []
    for path, text in sources:
        assert "git+https://github.com/ttsbench" not in text and "pip install ttsbench" not in text, path


def commands(text: str) -> list[str]:
    """The `ttsbench …` lines of the text's code blocks — every line of a shell block, the `$ ` lines of a block of
    output — continuations joined, comments dropped, chains split."""
    out = []
    for kind, block in re.findall(r"```(\w*)\n(.*?)```", text, re.S):
        shell = kind in ("sh", "bash", "console", "shell")
        if kind and not shell:
            continue
        for line in block.replace("\\\n", " ").splitlines():
            if not shell and not line.startswith("$ "):
                continue
            for part in re.split(r"&&|\|\||;|\|", line.split(" #", 1)[0]):
                part = re.sub(r"^([A-Z_]+=\S+\s+)+", "", part.strip().removeprefix("$ "))  # RAY_ADDRESS=auto …
                if part.startswith("ttsbench "):
                    out.append(part)
    return out


def flag_problems(name: str, text: str) -> tuple[int, list[str]]:
    """(commands read, what is wrong) for the ttsbench commands of a page: an unknown command or flag."""
    from ttsbench.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    seen, bad = 0, []
    for line in commands(text):
        words = shlex.split(line, comments=True)
        if words[1] not in sub.choices:
            bad.append(f"{name}: `{line}`: no command {words[1]}")
            continue
        known = {o for a in sub.choices[words[1]]._actions for o in a.option_strings}
        bad += [
            f"{name}: `{line}`: {w.split('=', 1)[0]} is not a flag of ttsbench {words[1]}"
            for w in words[2:]
            if w.startswith("--") and w.split("=", 1)[0] not in known
        ]
        seen += 1
    return seen, bad


def test_every_command_in_the_docs_uses_flags_its_help_shows():
    found = [flag_problems(p.name, p.read_text()) for p in PAGES]
    assert [b for _, bad in found for b in bad] == []
    assert sum(n for n, _ in found) >= 40  # the docs show the commands; this check reads them


def test_the_check_catches_an_unknown_flag_or_command():
    page = "```sh\nttsbench sweep s.yaml --every 2 --bogus 3  # a comment\nttsbench nosuch x\n```\n"
    page += "```\n$ ttsbench bench s.yaml --quiet --nope\nttsbench output line, not a command --x\n```\n"
    seen, bad = flag_problems("page.md", page)
    assert seen == 2 and len(bad) == 3
    assert "--bogus is not a flag of ttsbench sweep" in bad[0] and "no command nosuch" in bad[1]
    assert "--nope is not a flag of ttsbench bench" in bad[2]


@pytest.mark.parametrize("page", [p.name for p in PAGES if p.parent.name == "docs" and p.name != "index.md"])
def test_each_page_starts_with_what_it_is_for(page):
    text = (REPO / "docs" / page).read_text()
    first = text.split("\n\n")[1]
    assert text.startswith("# ") and not first.startswith(("#", "```", "|")), page
