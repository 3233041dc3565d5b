"""Shared pieces of the fuzz campaign (tests named ``test_fuzz_*`` in every distribution).

The campaign is bounded in CI (``FUZZ_EXAMPLES``, default 200 inputs a target) and runs long
with e.g. ``LEDGERSYNC_FUZZ_EXAMPLES=100000 python -m pytest -k fuzz -p no:randomly`` (see
bench/campaign.md). Inputs are byte-level mutations of valid documents, which reach deeper into
a parser than random bytes do.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, overload

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

__all__ = ["FUZZ_EXAMPLES", "counted", "fuzz_settings", "mutations"]

FUZZ_EXAMPLES = int(os.environ.get("LEDGERSYNC_FUZZ_EXAMPLES", "200"))
#: A folder: each counted target writes "<inputs> <seconds>" to <folder>/<test name>.txt every
#: 500 inputs, so a long run that is stopped still says how far it got.
FUZZ_PROGRESS = os.environ.get("LEDGERSYNC_FUZZ_PROGRESS", "")
_F = TypeVar("_F", bound=Callable[..., Any])


@overload
def counted(test: _F) -> _F: ...
@overload
def counted(*, weight: Callable[..., int]) -> Callable[[_F], _F]: ...
def counted(test: _F | None = None, *, weight: Callable[..., int] | None = None) -> Any:
    """Count the inputs a fuzz target ran (only with ``LEDGERSYNC_FUZZ_PROGRESS`` set).

    ``@counted`` counts one input an example; ``@counted(weight=f)`` counts ``f(**kwargs)`` of
    an example, for a target whose example carries many inputs (ingest: many mutated lines in
    one run)."""
    if test is None:
        return functools.partial(counted, weight=weight)
    if not FUZZ_PROGRESS:
        return test
    path = Path(FUZZ_PROGRESS) / f"{test.__name__}.txt"
    started = 0.0
    inputs = 0

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> Any:
        nonlocal inputs, started
        if not inputs:
            started = time.monotonic()
        before = inputs
        inputs += weight(**kwargs) if weight else 1
        if inputs // 500 != before // 500:
            path.write_text(f"{inputs} {time.monotonic() - started:.1f}\n")
        return test(*args, **kwargs)

    return run

fuzz_settings = settings(
    max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=FUZZ_EXAMPLES <= 1000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
)

_INTERESTING = [b"<", b">", b"/", b"&", b"&amp;", b"&#0;", b"\x00", b"\xff", b"\"", b"'",
                b"]]>", b"<!DOCTYPE a [<!ENTITY x \"y\">]>", b"<![CDATA[", b"\xed\xa0\x80",
                b"9" * 50, b"\xc2\xb2", b"-1", b"{", b"}", b"[", b"]", b"null", b"1e400", b"NaN",
                b"\\u0000"]


@st.composite
def mutations(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """One of ``seeds`` with a few insertions, deletions, replacements or duplications."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            data += draw(st.binary(max_size=20))
            continue
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.integers(0, 4))
        if action == 0:
            data[at:at] = draw(st.sampled_from(_INTERESTING))
        elif action == 1:
            del data[at:at + draw(st.integers(1, 16))]
        elif action == 2:
            data[at:at + 1] = draw(st.binary(min_size=1, max_size=4))
        elif action == 3:
            end = min(len(data), at + draw(st.integers(1, 64)))
            data[at:at] = data[at:end] * draw(st.integers(2, 50))
        else:
            data[at:at] = draw(st.binary(max_size=8))
    return bytes(data)
