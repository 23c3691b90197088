"""`cdr_fixed`: Asterisk's CDR layout, right where the lab's own cdr.csv is wrong.

Every lab trace is stored, then `cdr_fixed` is checked row by row against truth.json on each
database, and beside Asterisk's cdr.csv for the same calls (the known wrongs: several rows with
one uniqueid, billsec counting ringing after a blind transfer, NO ANSWER rows with billsec > 0,
an abandoned queue caller shown ANSWERED, dst overwritten by the transfer target).
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Engine, text

from cdr_agent.replay import replay_path, storing_ingest
from cdr_agent.store import open_engine
from test_asterisk_cdr import cdr_rows
from test_traces import SINGLE, _attempt_groups, _pairs
from tracekit import TRACE_NAMES, TRACES

ASTERISK_COLUMNS = ["calldate", "start", "answer", "end", "clid", "src", "dst", "dcontext", "channel", "dstchannel",
                    "lastapp", "lastdata", "duration", "billsec", "disposition", "amaflags", "accountcode", "uniqueid",
                    "linkedid", "userfield", "sequence", "peeraccount"]
OURS = ["call_id", "server", "queue", "agent", "transfer"]
DISPOSITION = {"ANSWER": "ANSWERED", "BUSY": "BUSY", "NOANSWER": "NO ANSWER", "CANCEL": "NO ANSWER",
               "CONGESTION": "FAILED", "CHANUNAVAIL": "FAILED"}
LASTAPP = {"queue": "Queue", "park": "ParkedCall"}


def test_cdr_fixed_on_every_lab_trace(db_url: str) -> None:
    """Every lab trace stored in one database (storing them is the slow part: once per
    database), then each check below on `cdr_fixed` read back."""
    engine = open_engine(db_url)
    try:
        for name in TRACE_NAMES:
            ingest = storing_ingest(engine)
            replay_path(ingest, TRACES / name, "a")
            ingest.close()
        cdr = engine, _select(engine, "SELECT * FROM cdr_fixed")
        check_layout_and_one_row_per_attempt(cdr)
        for name in SINGLE:
            check_rows_match_truth(name, cdr)
        check_right_where_asterisk_is_wrong(cdr)
        check_freepbx_style_queries_run_unchanged(cdr)
    finally:
        engine.dispose()


def _select(engine: Engine, sql: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        result = conn.execute(text(sql))
        return [dict(row._mapping) for row in result]


def _number(truth_doc: dict, party: str) -> str:
    return truth_doc["parties"][party]["number"]


def check_layout_and_one_row_per_attempt(cdr: Any) -> None:
    engine, rows = cdr
    with engine.connect() as conn:
        columns = list(conn.execute(text("SELECT * FROM cdr_fixed WHERE 1 = 0")).keys())
    assert columns == ASTERISK_COLUMNS + OURS
    # uniqueid is unique across every call of every trace, two servers reusing Asterisk's
    # uniqueids included (20_two_servers): no duplicated rows.
    assert len({r["uniqueid"] for r in rows}) == len(rows)
    assert all(r["disposition"] in ("ANSWERED", "NO ANSWER", "BUSY", "FAILED") for r in rows)
    assert all(r["billsec"] == 0 for r in rows if r["disposition"] != "ANSWERED")
    assert all(0 <= r["billsec"] <= r["duration"] for r in rows)


def check_rows_match_truth(name: str, cdr: Any) -> None:
    _, rows = cdr
    pairs, parties = _pairs(name)
    for call, doc in pairs:
        mine = sorted((r for r in rows if r["call_id"] == doc["call_id"]), key=lambda r: r["sequence"])
        attempts = {a["seq"]: a for a in doc["attempts"]}
        if not call["attempts"]:
            [own] = mine  # a call that rang nobody keeps one row of its own
            assert own["sequence"] == 0 and own["dstchannel"] == ""
            assert own["disposition"] == ("ANSWERED" if doc["answered"] else "NO ANSWER")
            continue
        assert len(mine) == len(call["attempts"]), [(r["channel"], r["dstchannel"]) for r in mine]
        expected = [a for group in _attempt_groups(call) for a in group]
        held = any(t["type"] == "attended" for t in call["transfers"])
        for want in expected:
            row = next(r for r in mine
                       if parties.of(attempts[r["sequence"]]["from_leg"]) == want["from"]
                       and _to(want["to"], parties.of(attempts[r["sequence"]]["to_leg"]))
                       and r["disposition"] == DISPOSITION[want["outcome"]])
            if want["outcome"] != "ANSWER":
                assert row["billsec"] == 0 and row["answer"] is None, row
            elif "talk_s_approx" in want and not held:
                assert abs(row["billsec"] - want["talk_s_approx"]) <= 1, (row["billsec"], want)
                if "ring_s_approx" in want:
                    assert abs(row["duration"] - want["ring_s_approx"] - want["talk_s_approx"]) <= 1
            elif "talk_s_approx" in want:  # on hold through a consultation: counted as talk
                assert row["billsec"] >= want["talk_s_approx"] - 1, (row["billsec"], want)
            to = parties.of(attempts[row["sequence"]]["to_leg"])
            if want["via"] == "park":  # a parked call retrieved: the slot dialled
                assert row["dst"] == call["dialed"]
            elif truth_has_numbers(call, name) and to in _parties(name):
                assert row["dst"] == _number(_truth(name), to), (row["dst"], to)
            assert row["transfer"] == (_kind(call, want) if want["via"] == "transfer" else None)
            assert row["lastapp"] == LASTAPP.get(want["via"], "Dial")
        # An abandoned queue caller is never shown ANSWERED.
        if any(a["app"] == "Queue" and a["result"].startswith("abandon") for a in call["apps"]):
            assert all(r["disposition"] != "ANSWERED" for r in mine)


def truth_has_numbers(call: dict, name: str) -> bool:
    return all(isinstance(v, dict) for v in _truth(name)["parties"].values())


def _truth(name: str) -> dict:
    from tracekit import truth

    return truth(name)


def _parties(name: str) -> dict:
    return _truth(name)["parties"]


def _to(expected: str, party: str | None) -> bool:
    if expected.startswith("one of "):
        return party in expected[len("one of "):].split("/")
    return expected == party


def _kind(call: dict, attempt: dict) -> str:
    kinds = {t["type"] for t in call["transfers"] if t["target"] == attempt["to"]}
    return kinds.pop() if len(kinds) == 1 else sorted(kinds)[0]


def check_right_where_asterisk_is_wrong(cdr: Any) -> None:
    """The known wrongs of cdr.csv, each shown there and absent here."""
    _, rows = cdr

    def ours(name: str) -> list[dict[str, Any]]:
        [(_, doc)] = _pairs(name)[0]
        return [r for r in rows if r["call_id"] == doc["call_id"]]

    # Several rows with one uniqueid (every lab trace): ours are unique.
    for name in SINGLE:
        theirs = Counter(r["uniqueid"] for r in cdr_rows(name))
        assert max(theirs.values()) > 1, name
    # Blind transfer: Asterisk bills the transferee's ringing (answer == start) and overwrites
    # the first row's dst with the transfer target.
    asterisk = cdr_rows("06_blind_transfer")
    to_c = next(r for r in asterisk if r["dstchannel"].startswith("Local/202@phones-"))
    to_b = next(r for r in asterisk if r["dstchannel"].startswith("Local/201@phones-"))
    assert int(to_c["billsec"]) == 5 and to_b["dst"] == "202"
    mine = {r["dstchannel"].split("-")[0]: r for r in ours("06_blind_transfer")}
    assert mine["Local/202@phones"]["billsec"] == 3 and mine["Local/202@phones"]["transfer"] == "blind"
    assert mine["Local/201@phones"]["dst"] == "201" and mine["Local/202@phones"]["dst"] == "202"
    # NO ANSWER with billsec > 0 (07 after a transfer, 10 and 11 in queues).
    for name in ("07_blind_transfer_noanswer", "10_queue_answered", "11_queue_abandon"):
        assert any(r["disposition"] == "NO ANSWER" and int(r["billsec"]) > 0 for r in cdr_rows(name)), name
        assert all(r["billsec"] == 0 for r in ours(name) if r["disposition"] == "NO ANSWER"), name
    # The abandoned queue caller: ANSWERED in Asterisk, never here.
    assert any(r["disposition"] == "ANSWERED" and r["dst"] == "h" for r in cdr_rows("11_queue_abandon"))
    assert {r["disposition"] for r in ours("11_queue_abandon")} == {"NO ANSWER"}
    # Failover: Asterisk's row for the second phone keeps dst 201.
    assert [r["dst"] for r in cdr_rows("03_noanswer_failover") if r["dstchannel"].startswith("Local/202@phones-")] == ["201"]
    assert sorted(r["dst"] for r in ours("03_noanswer_failover")) == ["201", "202"]


# FreePBX's CDR report and Asternic-style summaries, as written for Asterisk's `cdr` table,
# with only the table name changed.
FREEPBX_LIST = """
SELECT calldate, clid, src, dst, dcontext, channel, dstchannel, lastapp, lastdata, duration, billsec,
       disposition, amaflags, accountcode, uniqueid, userfield
FROM cdr_fixed
WHERE calldate >= '2026-11-23 00:00:00' AND calldate <= '2026-11-23 23:59:59'
ORDER BY calldate DESC
LIMIT 100
"""
BY_DISPOSITION = """
SELECT disposition, COUNT(*) AS calls, SUM(billsec) AS billsec, SUM(duration) AS duration
FROM cdr_fixed
WHERE calldate BETWEEN '2026-11-23 00:00:00' AND '2026-11-23 23:59:59'
GROUP BY disposition
ORDER BY disposition
"""
BY_DESTINATION = """
SELECT dst, COUNT(*) AS answered, SUM(billsec) AS talk, MAX(billsec) AS longest
FROM cdr_fixed
WHERE disposition = 'ANSWERED' AND dst <> ''
GROUP BY dst
ORDER BY answered DESC, dst
"""
CALLS_PER_SOURCE = """
SELECT src, COUNT(DISTINCT linkedid) AS calls
FROM cdr_fixed
WHERE calldate >= '2026-11-23' AND lastapp IN ('Dial', 'Queue')
GROUP BY src
"""
# MySQL/MariaDB only: FreePBX's graph by hour.
BY_HOUR_MYSQL = """
SELECT DATE_FORMAT(calldate, '%Y-%m-%d %H') AS hour, COUNT(*) AS total_calls, SUM(duration) AS total_duration
FROM cdr_fixed
GROUP BY DATE_FORMAT(calldate, '%Y-%m-%d %H')
"""


def check_freepbx_style_queries_run_unchanged(cdr: Any) -> None:
    engine, rows = cdr
    listed = _select(engine, FREEPBX_LIST)
    assert len(listed) == min(100, len(rows))
    assert [r["calldate"] for r in listed] == sorted((r["calldate"] for r in listed), reverse=True)
    by_disp = {r["disposition"]: (r["calls"], int(r["billsec"])) for r in _select(engine, BY_DISPOSITION)}
    expect: dict[str, list[int]] = {}
    for r in rows:
        expect.setdefault(r["disposition"], [0, 0])
        expect[r["disposition"]][0] += 1
        expect[r["disposition"]][1] += r["billsec"]
    assert by_disp == {k: tuple(v) for k, v in expect.items()}
    by_dst = _select(engine, BY_DESTINATION)
    assert sum(r["answered"] for r in by_dst) == sum(1 for r in rows if r["disposition"] == "ANSWERED" and r["dst"])
    assert _select(engine, CALLS_PER_SOURCE)
    if engine.dialect.name in ("mysql", "mariadb"):
        hours = _select(engine, BY_HOUR_MYSQL)
        assert sum(h["total_calls"] for h in hours) == len(rows)
