"""Call-centre statistics: queue and agent figures derived from the stored call trees.

`fill` turns call trees into per-call queue rows and hourly counters (set-based SQL: the
rows never travel through Python), `presence` follows agent login/pause from QueueMember*
events, `report` turns hourly counters into what a call-centre manager reads.
"""
