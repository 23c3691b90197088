"""Call-centre statistics: queue and agent figures derived from the stored call trees.

The per-call rows are the store's (store/percall.py, written with each call); `fill` adds
them up by hour (set-based SQL, `derive`), `presence` follows agent login/pause from
QueueMember* events, `report` turns hourly counters into what a call-centre manager reads.
"""
