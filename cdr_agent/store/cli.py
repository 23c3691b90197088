"""The database sub-commands: `db grant-readonly ROLE`."""
from __future__ import annotations

import argparse

from .engine import DEFAULT_URL


def register(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="database administration for reporting tools")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    g = db_sub.add_parser("grant-readonly", help="give an existing role SELECT on every table and view, nothing"
                                                 " else (PostgreSQL, MySQL/MariaDB)")
    g.add_argument("role", help="the role (PostgreSQL) or user (MySQL/MariaDB: NAME or NAME@HOST, default host %%)")
    g.add_argument("--db", default=DEFAULT_URL, help="SQLAlchemy URL of the store, as its owner"
                                                     f" (default {DEFAULT_URL})")
    g.set_defaults(run=grant_readonly)


def grant_readonly(args: argparse.Namespace) -> int:
    from .grants import grant_readonly as grant

    for line in grant(args.db, args.role).done:
        print(line)
    return 0
