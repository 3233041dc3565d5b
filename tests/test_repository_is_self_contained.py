"""A clone is all a machine needs: no test reads a file outside the repository, and no comment
or page cites a document the repository does not contain."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
TEXT_SUFFIXES = {".py", ".md", ".toml", ".ini", ".txt"}

#: A string literal holding an absolute file-system path (a top-level folder such as the home
#: or data directories, or ``Path`` of one); the root alone and URL paths are not files.
_ABSOLUTE_FILE = re.compile(r"""Path\(\s*["']/\w|["']/(?:work|home|srv|mnt|opt|data)/""")
#: A citation of the protocol notes kept outside the repository ("reference/qbo-api.md",
#: "reference §8").
_OUTSIDE_CITATION = re.compile(r"(?<![\w-])reference(?:/[\w.-]+|\s§)", re.IGNORECASE)
#: A repository path cited in a comment or page.
_REPOSITORY_PATH = re.compile(r"\bplugins/\w+/tests/data/[\w./-]*[\w/]")


def _files(*tops: str, suffixes: set[str] = TEXT_SUFFIXES) -> list[Path]:
    found = []
    for top in tops:
        for path in (ROOT / top).rglob("*"):
            parts = set(path.relative_to(ROOT).parts)
            if path.is_file() and path.suffix in suffixes and path != Path(__file__) and not (
                    parts & {"__pycache__", ".venv", ".tox", ".git"}):
                found.append(path)
    return found


def _test_sources() -> list[Path]:
    return [p for p in _files("core", "plugins", "tests", suffixes={".py"})
            if "tests" in p.relative_to(ROOT).parts]


def _documented() -> list[Path]:
    """Source, tests, docs and benchmarks, but not the copied test data (whose provenance
    notes quote upstream paths)."""
    files = _files("core", "plugins", "tests", "docs", "bench")
    files.append(ROOT / "README.md")
    return [p for p in files if "data" not in p.relative_to(ROOT).parts]


def test_no_test_reads_an_absolute_path() -> None:
    sources = _test_sources()
    assert sources
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in sources
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if _ABSOLUTE_FILE.search(line)]
    assert offenders == []


def test_nothing_cites_the_reference_notes_outside_the_repository() -> None:
    offenders = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}" for p in _documented()
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if _OUTSIDE_CITATION.search(line)]
    assert offenders == []


def test_every_test_data_path_cited_exists() -> None:
    cited = {match.group(0) for p in _documented()
             for match in _REPOSITORY_PATH.finditer(p.read_text(encoding="utf-8"))}
    assert cited  # the sandboxes cite the captured traffic they mimic
    assert sorted(c for c in cited if not (ROOT / c).exists()) == []
