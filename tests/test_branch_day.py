"""The fault test of a branch day, at CI scale (bench/branch_day.py at full scale): 50
technicians for 2 minutes through nginx to 3 app processes on a PostgreSQL server of the test's
own, photos on S3 (moto's server), pushes to a fake push service. Faults, one after the other:
`kill -9` of one app process, PostgreSQL stopped for 3 s, the S3 endpoint down for 30 s.
Nothing is lost or doubled: every mutation applied or rejected with a reason exactly once, every
photo stored once, every push sent and received, every console streaming and resynced."""

from __future__ import annotations

from tests.conftest import ROOT
from tests.proxy import require_nginx

BENCH = str(ROOT / "bench")


def test_a_branch_day_loses_nothing_through_a_killed_process_a_database_restart_and_an_s3_outage(
    monkeypatch,
):
    require_nginx()
    monkeypatch.syspath_prepend(BENCH)
    from branch_day import run

    report = run(
        [
            "--technicians",
            "50",
            "--minutes",
            "2",
            "--processes",
            "3",
            "--consoles",
            "3",
            "--faults",
            "kill,postgres,s3",
            "--s3-down",
            "30",
        ]
    )
    summary = report.summary()
    assert report.problems == [], summary
    assert set(report.faults) == {"kill", "postgres", "s3"}, summary
    endpoints = summary["endpoints"]
    # The faults were met: requests failed during them (and were sent again), and photos were
    # uploaded while S3 was down.
    assert sum(e["errors"] for e in endpoints.values()) > 0, summary
    assert endpoints["upload patch"]["errors"] > 0, summary
    # Every phone settled its whole day, stored its photo, and heard of its new orders.
    assert endpoints["push"]["n"] > 0 and report.created > 0, summary
    assert report.photos_stored == 50 and report.pushes_sent >= report.created, summary
    assert report.consoles_streaming_at_end == 3 and report.consoles_resynced == 3, summary
    # A run that ends well leaves nothing behind (a failed one keeps its logs: below).
    assert not report.workdir.exists()


def test_a_failed_branch_day_shows_why_from_nginx_and_the_app_processes(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.syspath_prepend(BENCH)
    from branch_day import show_logs

    (tmp_path / "nginx").mkdir()
    (tmp_path / "nginx" / "error.log").write_text(
        "2026/12/04 10:00:00 [info] 7#7: *1 client closed keepalive connection\n"
        "2026/12/04 10:00:05 [error] 7#7: *9 recv() failed (104: Connection reset by peer)"
        " while reading response header from upstream\n"
    )
    (tmp_path / "app-40001.log").write_text(
        '{"path":"/api/sync/pull","event":"HTTP Request","level":"info"}\n'
        "Traceback (most recent call last):\nBoom\n"
    )
    show_logs(tmp_path)
    shown = capsys.readouterr().err
    assert "Connection reset by peer" in shown and "Boom" in shown
    assert "keepalive" not in shown and "HTTP Request" not in shown  # chatter, not errors
    assert str(tmp_path) in shown
