"""Where Asterisk's own cdr.csv contradicts what happened, our tree is right and its row is not."""
from __future__ import annotations

import csv

from tracekit import TRACES, replay_documents

# cdr_custom columns (see the traces' README)
COLUMNS = ["accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp", "lastdata",
           "start", "answer", "end", "duration", "billsec", "disposition", "amaflags", "uniqueid", "linkedid",
           "userfield", "sequence", "peeraccount", "start_epoch", "answer_epoch", "end_epoch"]


def cdr_rows(name: str) -> list[dict[str, str]]:
    with open(TRACES / name / "cdr.csv", newline="") as fh:
        return [dict(zip(COLUMNS, row)) for row in csv.reader(fh)]


def _channel(doc: dict, leg_id: str) -> str:
    return next(leg["channel"] for leg in doc["legs"] if leg["leg_id"] == leg_id)


def test_blind_transfer_billsec_and_duplicate_uniqueids() -> None:
    rows = cdr_rows("06_blind_transfer")
    [doc] = replay_documents("06_blind_transfer")
    caller = next(l for l in doc["legs"] if l["channel"].startswith("Local/201@from-internal-") and l["channel"].endswith(";2"))

    # Asterisk: three rows carry the caller's uniqueid (A->B, A->C, h).
    assert sum(r["uniqueid"] == caller["uniqueid"] for r in rows) == 3
    # Ours: one leg per channel, and one attempt per destination rung.
    assert len({l["uniqueid"] for l in doc["legs"]}) == len(doc["legs"])
    dialled = [a for a in doc["attempts"] if a["from_leg"] == caller["leg_id"]]
    assert [_channel(doc, a["to_leg"]).split("-")[0] for a in dialled] == ["Local/201@phones", "Local/202@phones"]

    # Asterisk: the transferred A->C row counts ringing as talk (answer == start, billsec == duration).
    to_c = next(r for r in rows if r["dstchannel"].startswith("Local/202@phones-"))
    assert to_c["answer_epoch"] == to_c["start_epoch"] and to_c["billsec"] == to_c["duration"]
    # Ours: C rang about 2 s and talked about 3 s; the transfer attempt says so.
    ours = dialled[1]
    assert ours["via"] == "transfer" and ours["outcome"] == "ANSWER"
    assert 1.5 <= ours["ring_s"] <= 2.5 and 2.5 <= ours["talk_s"] <= 3.5
    assert int(to_c["billsec"]) >= ours["talk_s"] + 1.5

    # Asterisk: the A->B row's dst was overwritten with the transfer target (202).
    to_b = next(r for r in rows if r["dstchannel"].startswith("Local/201@phones-"))
    assert to_b["dst"] == "202"
    assert dialled[0]["dialstring"] == "201@phones/n"
    [transfer] = doc["transfers"]
    assert transfer["kind"] == "blind" and transfer["transferer_leg"] == dialled[0]["to_leg"]


def test_abandoned_queue_call_is_not_answered() -> None:
    rows = cdr_rows("11_queue_abandon")
    [doc] = replay_documents("11_queue_abandon")
    queue_row = next(r for r in rows if r["lastapp"] == "Queue")
    # Asterisk: the caller's closing row says ANSWERED, because Answer() ran before Queue().
    [closing] = [r for r in rows if r["uniqueid"] == queue_row["uniqueid"] and r["dst"] == "h"]
    assert closing["disposition"] == "ANSWERED"
    # Ours: the queue stay was abandoned and no attempt was answered.
    [queue] = [a for a in doc["apps"] if a["app"] == "queue"]
    assert queue["result"] == "abandoned"
    assert doc["answered_at"] is None
    assert [a["outcome"] for a in doc["attempts"] if a["via"] == "queue"] == ["NOANSWER"]
