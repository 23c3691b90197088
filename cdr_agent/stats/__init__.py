"""Call-centre statistics: queue and agent figures derived from the stored call trees.

`percall` turns one finished call tree into its per-call rows (written with the call by the
store's writer), `fill` adds them up by hour (set-based SQL, `derive`), `presence` follows
agent login/pause from QueueMember* events, `report` turns hourly counters into what a
call-centre manager reads.
"""
