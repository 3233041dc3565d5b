"""The Python examples in docs/*.md run, in order, so the guides stay true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).parents[1] / "docs"
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _guides_with_examples() -> list[Path]:
    return [p for p in sorted(DOCS.glob("*.md")) if "tested" in p.read_text(encoding="utf-8")
            or p.name == "embedding.md"]


@pytest.mark.parametrize("guide", _guides_with_examples(), ids=lambda p: p.name)
def test_guide_examples_run(guide: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                            ) -> None:
    blocks = BLOCK.findall(guide.read_text(encoding="utf-8"))
    assert blocks, f"{guide.name} has no python examples"
    namespace: dict[str, object] = {"workdir": tmp_path.as_posix()}
    for index, block in enumerate(blocks):
        code = compile(block, f"{guide.name}[example {index + 1}]", "exec")
        exec(code, namespace)  # running our own documentation is the point
