"""Fuzz: whatever QuickBooks Online answers, the client returns a JSON object or raises
QboError (never a KeyError, TypeError or a decoding error). Bounded here; the long run is in
bench/campaign.md."""

from __future__ import annotations

import httpx
from hypothesis import given
from hypothesis import strategies as st

from ledgersync.testing.fuzzing import counted, fuzz_settings, mutations
from ledgersync_qbo.client import QboClient
from ledgersync_qbo.errors import QboError

SEEDS = [
    b'{"QueryResponse":{"Customer":[{"Id":"58","SyncToken":"0","DisplayName":"Jordan"}],'
    b'"startPosition":1,"maxResults":1},"time":"2026-01-15T10:00:00.000-08:00"}',
    b'{"Invoice":{"Id":"130","SyncToken":"1","TotalAmt":150.00,"PrivateNote":"mms:invoice:1"}'
    b',"time":"2026-01-15T10:00:00.000-08:00"}',
    b'{"Fault":{"Error":[{"Message":"Stale Object Error","Detail":"Stale Object Error : You '
    b'and Jordan were working on this at the same time.","code":"5010","element":""}],'
    b'"type":"ValidationFault"},"time":"2026-01-15T10:00:00.000-08:00"}',
    b'{"BatchItemResponse":[{"bId":"b0","Invoice":{"Id":"1"}},{"bId":"b1","Fault":{"Error":'
    b'[{"Message":"Duplicate","code":"6140"}],"type":"ValidationFault"}}]}',
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><IntuitResponse xmlns='
    b'"http://schema.intuit.com/finance/v3" time="2026-01-15T10:00:00.000-08:00"><Fault '
    b'type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; '
    b'statusCode=429</Message></Error></Fault></IntuitResponse>',
]
STATUSES = st.sampled_from([200, 400, 401, 403, 404, 429, 500, 502, 503])


@fuzz_settings
@given(body=mutations(SEEDS), status=STATUSES, retry_after=st.one_of(
    st.none(), st.text(max_size=12)))
@counted
def test_fuzz_any_answer_is_an_object_or_a_qbo_error(body: bytes, status: int,
                                                     retry_after: str | None) -> None:
    headers = {"intuit_tid": "1-abc"}
    if retry_after is not None and retry_after.isprintable() and retry_after.isascii():
        headers["Retry-After"] = retry_after
    response = httpx.Response(status, content=body, headers=headers)
    try:
        answer = QboClient._answer(response)
    except QboError as exc:
        assert exc.message  # noqa: PT017 - the input decides whether it raises
        return
    assert isinstance(answer, dict)
    assert status < 400
