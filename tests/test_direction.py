"""Direction and trunk from the admin's trunk patterns, in Python and as SQL LIKE patterns."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, literal, select

from cdr_agent.calltree.direction import INBOUND, INTERNAL, OUTBOUND, Trunks
from cdr_agent.calltree.model import Attempt, Call, Leg
from cdr_agent.calltree.settings import SettingsError


def _call(*channels: str, dialled: tuple[int, ...] = ()) -> Call:
    legs = [Leg(leg_id=f"l{i}", uniqueid=f"u{i}", channel=c) for i, c in enumerate(channels)]
    attempts = [Attempt(seq=n, from_leg="l0", to_leg=f"l{i}", dialstring=None, via="dial", began_at=None)
                for n, i in enumerate(dialled)]
    return Call(call_id="c", server="s", legs=legs, attempts=attempts)


TRUNKS = Trunks(("PJSIP/trunk-*", "SIP/voipgrid-*"))


@pytest.mark.parametrize("call, direction, trunk", [
    (_call("PJSIP/trunk-0000001a", "PJSIP/201-00000002", dialled=(1,)), INBOUND, "PJSIP/trunk"),
    (_call("PJSIP/201-00000001", "SIP/voipgrid-siproute-docker-0000002", dialled=(1,)), OUTBOUND,
     "SIP/voipgrid-siproute-docker"),
    (_call("PJSIP/201-00000001", "PJSIP/202-00000002", dialled=(1,)), INTERNAL, None),
    # A trunk leg that was never dialled (a stray leg of the tree) does not make the call outbound.
    (_call("PJSIP/201-00000001", "PJSIP/trunk-00000002"), INTERNAL, None),
    (_call(), INTERNAL, None),
])
def test_direction_and_trunk(call: Call, direction: str, trunk: str | None) -> None:
    assert TRUNKS.direction(call) == direction
    assert TRUNKS.trunk_of(call) == trunk


def test_default_pattern_names_trunks_by_their_name() -> None:
    assert Trunks().is_trunk("PJSIP/my_trunk-00000001")
    assert not Trunks().is_trunk("PJSIP/201-00000001")
    assert not Trunks().is_trunk(None)


@pytest.mark.parametrize("bad", ["", "SIP/[ab]*"])
def test_patterns_sql_cannot_say_are_refused(bad: str) -> None:
    with pytest.raises(SettingsError, match="trunk pattern"):
        Trunks((bad,))


@pytest.mark.parametrize("channel", ["PJSIP/trunk-1", "PJSIP/trunkX", "PJSIP/tr%nk-1", "PJSIP/a_b-1",
                                     "SIP/voipgrid-x", "SIP/100-1", "Local/trunk@x-1;2"])
def test_like_patterns_agree_with_python(channel: str) -> None:
    trunks = Trunks(("PJSIP/trunk-?", "*a_b*", "SIP/voipgrid-*", "Local/trunk@*"))
    engine = create_engine("sqlite://")
    value = literal(channel)
    with engine.connect() as conn:
        got = conn.execute(select(*[value.like(p, escape="\\") for p in trunks.like_patterns()])).one()
    assert any(got) == trunks.is_trunk(channel)
