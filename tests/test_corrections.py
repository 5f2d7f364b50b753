"""Corrections: table tests of matching, and one-line errors for bad files."""

from __future__ import annotations

import pytest

from ttsbench.dataprep.corrections import Corrector, CorrectionsError, Rule, load_corrections


@pytest.mark.parametrize(
    "rule, text, expected",
    [
        (Rule("Sammy Altman", "Sam Altman"), "I met sammy altman today.", "I met Sam Altman today."),
        (Rule("al", "Al"), "Al and Alice talk about algebra.", "Al and Alice talk about algebra."),  # whole words only
        (Rule("al", "Al", whole_word=False), "algebra", "Algebra"),
        (Rule("csm", "CSM", case_sensitive=True), "csm and Csm", "CSM and Csm"),
        (Rule("open ai", "OpenAI"), "Open AI, open ai and OPEN AI.", "OpenAI, OpenAI and OpenAI."),
        (Rule(r"g p t (\d)", r"GPT-\1", regex=True), "we used g p t 4 here", "we used GPT-4 here"),
        (Rule("C++", "C plus plus"), "I write C++ daily", "I write C plus plus daily"),  # regex characters are literal
        (Rule("back", r"\n"), "go back", r"go \n"),  # a plain rule's replacement is literal too
        (Rule("um", ""), "so um yes", "so  yes"),
    ],
)
def test_rule_table(rule, text, expected):
    assert Corrector([rule])(text) == expected


def test_counts_and_unused_rules():
    c = Corrector([Rule("a", "b"), Rule("never", "x")])
    c("a a a")
    assert [r["fired"] for r in c.report()] == [3, 0]
    assert [r.wrong for r in c.unused()] == ["never"]


def test_yaml_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("Sammy Altman: Sam Altman\nrules:\n  - {from: 'g p t (\\d)', to: 'GPT-\\1', regex: true}\n")
    c = load_corrections(path)
    assert c("sammy altman likes g p t 5") == "Sam Altman likes GPT-5"


def test_tsv_file_with_header_and_comments(tmp_path):
    path = tmp_path / "c.tsv"
    path.write_text("wrong\tright\n# a comment\nSammy Altman\tSam Altman\ng p t (\\d)\tGPT-\\1\tregex\n")
    assert load_corrections(path)("sammy altman, g p t 4") == "Sam Altman, GPT-4"


@pytest.mark.parametrize(
    "name, content, words",
    [
        (
            "bad.yaml",
            "rules:\n  - {from: 'unclosed (', to: x, regex: true}\n",
            ["bad.yaml", "rule 1", "regular expression"],
        ),
        ("bad.tsv", "ok\tfine\n[oops\tx\tregex\n", ["bad.tsv", "rule 2", "regular expression"]),
        ("bad.yaml", "rules:\n  - {from: a, too: b}\n", ["bad.yaml", "rule 1"]),
        ("bad.tsv", "only one column\n", ["bad.tsv:1", "wrong<TAB>right"]),
        ("bad.yaml", "a: [unclosed\n", ["bad.yaml", "not valid YAML"]),
        ("bad.tsv", "a\tb\tregx\n", ["bad.tsv:1", "unknown column value(s) regx", "regex and case_sensitive"]),
        ("bad.tsv", "a\tb\n\tc\twhole\n", ["bad.tsv:2", "expected 'wrong<TAB>right"]),
        (
            "latin1.tsv",
            "caf\xe9\tcafe\n".encode("latin-1"),
            ["latin1.tsv: not UTF-8 text (byte 3)", "save it as UTF-8"],
        ),
        ("latin1.yaml", "caf\xe9: cafe\n".encode("latin-1"), ["latin1.yaml: not UTF-8"]),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    with pytest.raises(CorrectionsError) as e:
        load_corrections(path)
    assert "\n" not in str(e.value) and all(w in str(e.value) for w in words)


def test_missing_file(tmp_path):
    with pytest.raises(CorrectionsError, match="no such corrections file"):
        load_corrections(tmp_path / "nope.yaml")
