"""The fault test of a branch day, at CI scale (bench/branch_day.py at full scale): 50
technicians for 2 minutes through nginx to 3 app processes on PostgreSQL, one process killed
with `kill -9` half way and started again. Nothing is lost or doubled."""

from __future__ import annotations

import sys

from tests.conftest import ROOT
from tests.proxy import require_nginx


def test_a_branch_day_loses_nothing_when_an_app_process_is_killed(postgres_ready):
    require_nginx()
    sys.path.insert(0, str(ROOT / "bench"))
    from branch_day import run

    report = run(["--technicians", "50", "--minutes", "2", "--processes", "3", "--consoles", "3"])
    summary = report.summary()
    assert report.problems == [], summary
    assert report.killed_at > 0
    # Every phone settled its whole day and the agents' orders went in while a process was down.
    assert summary["endpoints"]["push"]["n"] > 0 and report.created > 0, summary
    assert report.consoles_streaming_at_end == 3, summary
