"""Queue diversions a dialplan records with QueueLog() (XiVO/Wazo style: a closed schedule, the
waiting calls / agents ratio, the expected wait) are queue stays of their own, counted by the
statistics under their exit status; other QueueLog() events change nothing."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from test_channel_kinds import T0, _ami, _chan

from cdr_agent.calltree.document import to_document
from cdr_agent.ingest import Ingest
from cdr_agent.replay import read_events, storing_ingest
from cdr_agent.stats.fill import fill
from cdr_agent.store import open_engine
from cdr_agent.store.stats_tables import stat_queue_calls, stat_queue_hourly


def _call(n: int, queue_log: list[str]) -> list[dict[str, str]]:
    """A caller whose dialplan runs QueueLog() with each of `queue_log` (AppData), then hangs up."""
    me = (f"PJSIP/c{n}-0000000{n}", f"pbx1-{int(T0) + n}.{n}")
    events = [{"Event": "Newchannel", **_chan(*me, n, num=f"55{n}", Exten="700", Linkedid=me[1])}]
    events += [{"Event": "Newexten", **_chan(*me, n + 0.5, Exten="700", Linkedid=me[1]), "Application": "QueueLog",
                "AppData": data} for data in queue_log]
    events.append({"Event": "Hangup", **_chan(*me, n + 1, Exten="700", Linkedid=me[1]), "Cause": "16"})
    return events


STREAM = _ami(
    _call(1, ["support,pbx1-1795000001.1,NONE,CLOSED"])
    + _call(2, ["support,pbx1-1795000002.2,NONE,DIVERT_CA_RATIO"])
    + _call(3, ["sales, pbx1-1795000003.3 ,NONE, divert_holdtime ,12"])
    + _call(4, ["support,pbx1-1795000004.4,NONE,WRAPUPSTART", "support,only-two"])  # not ours / malformed
)


def test_queue_log_diversions_are_queue_stays() -> None:
    ingest = Ingest()
    ingest.events(read_events([STREAM], "pbx1"))
    docs = [to_document(c) for c in ingest.finished + ingest.close()]
    assert [[(a["app"], a["name"], a["result"], a["wait_s"]) for a in d["apps"]] for d in docs] == [
        [("queue", "support", "closed", 0.0)],
        [("queue", "support", "divert_ca_ratio", 0.0)],
        [("queue", "sales", "divert_waittime", 0.0)],
        [],
    ]
    assert not ingest.builder.failures


def test_diversions_are_counted_by_the_statistics(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'cdr.sqlite'}")
    ingest = storing_ingest(engine)
    ingest.events(read_events([STREAM], "pbx1"))
    ingest.close()
    fill(engine, now=T0 + 7200)
    with engine.connect() as conn:
        per_call = sorted((r.queue, r.status) for r in conn.execute(select(stat_queue_calls)))
        hourly = {r.queue: r for r in conn.execute(select(stat_queue_hourly))}
    engine.dispose()
    assert per_call == [("sales", "divert_waittime"), ("support", "closed"), ("support", "divert_ca_ratio")]
    support, sales = hourly["support"], hourly["sales"]
    assert (support.offered, support.closed, support.divert_ca_ratio, support.divert_waittime, support.answered) == (2, 1, 1, 0, 0)
    assert (sales.offered, sales.divert_waittime, sales.exited) == (1, 1, 0)
