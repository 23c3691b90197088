"""One AMI login attempt, for `cdr-agent daemon --check --connect`: does this host, port,
user and secret work, before the service depends on it?"""
from __future__ import annotations

import asyncio

from .client import AmiTarget, action
from .reader import AmiReader

_ID = "cdr-check"


async def try_login(target: AmiTarget, timeout: float) -> tuple[bool, str]:
    """(logged in, what happened), within `timeout` seconds for the connection and as much
    again for the answer; events off, logged off again at once."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(target.host, target.port), timeout)
    except (OSError, asyncio.TimeoutError) as exc:
        return False, f"cannot connect to {target.host}:{target.port}: {exc or 'timeout'}"
    try:
        writer.write(action("Login", _ID, Username=target.username, Secret=target.secret, Events="off"))
        ok, message = await asyncio.wait_for(_answer(reader, AmiReader(target.server)), timeout)
        if ok:
            writer.write(action("Logoff", f"{_ID}-bye"))
            await writer.drain()
        return ok, message
    except asyncio.TimeoutError:
        return False, f"no answer to the login within {timeout:g} s (is it an AMI port?)"
    except OSError as exc:
        return False, f"connection lost: {exc}"
    finally:
        writer.close()


async def _answer(reader: asyncio.StreamReader, parse: AmiReader) -> tuple[bool, str]:
    while data := await reader.read(4096):
        for ev in parse.feed(data):
            if ev.headers.get("ActionID") == _ID:
                ok = ev.headers.get("Response") == "Success"
                return ok, "logged in" if ok else f"login refused: {ev.headers.get('Message', 'no reason given')}"
    return False, "the connection closed before the login was answered"
