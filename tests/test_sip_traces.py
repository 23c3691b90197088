"""Production recordings (SIP phones, trunks, Local hops, no timestamps) give the trees their
expect.json describes (the rules: tests/sipkit.py)."""
from __future__ import annotations

import pytest

from sipkit import SIP_TRACE_NAMES, check, expectation, sip_documents


@pytest.mark.parametrize("name", SIP_TRACE_NAMES)
def test_sip_recording_matches_expectation(name: str) -> None:
    problems = check(expectation(name), sip_documents(name))
    assert not problems, "\n".join(problems)
