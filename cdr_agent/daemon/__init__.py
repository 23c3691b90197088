"""The capture daemon: AMI (and FastAGI) in, journal, call trees, database out."""
