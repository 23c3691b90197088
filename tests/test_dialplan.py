"""The shipped dialplan snippet and the guide's example pass asterisklint (a parser and
checker of Asterisk's extensions.conf: syntax, balanced expressions, known applications and
functions), and call the AGI scripts we ship."""
from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
from pathlib import Path

from cdr_agent.agi.session import SCRIPTS

REPO = Path(__file__).resolve().parents[1]
SNIPPET = REPO / "dialplan" / "cdr-agent.conf"
GUIDE = REPO / "dialplan" / "README.md"
LINT = "import os, sys; from asterisklint.main import main; sys.exit(main(sys.argv[1:], os.environ))"
HEAD = "[general]\nstatic=yes\nwriteprotect=yes\n\n[globals]\nCDRAGENT_AGI_BASE=\n\n"


def lint(folder: Path, body: str, snippet: str) -> subprocess.CompletedProcess:
    (folder / "cdr-agent.conf").write_text(snippet)
    (folder / "extensions.conf").write_text(HEAD + '#include "cdr-agent.conf"\n\n' + body)
    return subprocess.run([sys.executable, "-c", LINT, "dialplan-check", "extensions.conf"], cwd=folder,
                          capture_output=True, text=True, env=dict(os.environ, ALINT_IGNORE=""))


def guide_example() -> str:
    blocks = re.findall(r"```\n(\[from-internal\].*?)```", GUIDE.read_text(), re.S)
    assert len(blocks) == 1
    return blocks[0]


def test_snippet_and_guide_example_pass_asterisklint(tmp_path: Path) -> None:
    done = lint(tmp_path, guide_example(), SNIPPET.read_text())
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_asterisklint_does_catch_mistakes(tmp_path: Path) -> None:
    """The check above can fail: a misspelt application and an unbalanced expression."""
    broken = SNIPPET.read_text().replace(" same => n,Dial(", " same => n,Dail(").replace("$[\"${CDRAGENT_HOOKED}\"!=\"\"]", "$[\"${CDRAGENT_HOOKED\"!=\"\"]")
    done = lint(tmp_path, guide_example(), broken)
    assert done.returncode != 0
    assert "E_APP_MISSING" in done.stdout + done.stderr and "cdr-agent.conf" in done.stdout + done.stderr


def test_snippet_calls_the_scripts_we_ship() -> None:
    text = SNIPPET.read_text()
    called = set(re.findall(r"AGI\(\$\{CDRAGENT_AGI\}([a-z-]+)", text))
    assert called == set(SCRIPTS)
    assert "CDRAGENT_AGI=${IF($[\"${CDRAGENT_AGI_BASE}\"=\"\"]?cdr-agent-:" in text  # classic: cdr-agent-<script>
    setup = configparser.ConfigParser()
    setup.read(REPO / "setup.cfg")
    installed = setup["options"]["scripts"].split()
    for script in called:
        path = REPO / "agi-bin" / f"cdr-agent-{script}"
        assert os.access(path, os.X_OK) and f"agi-bin/cdr-agent-{script}" in installed
        assert path.read_text().startswith("#!/usr/bin/env python3\n") and f'main("{script}")' in path.read_text()
    for context in ("cdr-agent-dial", "cdr-agent-queue", "cdr-agent-hook", "cdr-agent-hangup", "cdr-agent-transfer"):
        assert f"[{context}]" in text
