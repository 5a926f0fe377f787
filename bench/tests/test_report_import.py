"""`python -m bench report_import` end to end on a few hundred rows (PostgreSQL runs only): the
three measurements run, the batch's own checks pass (every report created, none refused), and the
printed breakdown of its time adds up to its seconds. Speed is not asserted here."""

import re

import pytest
from django.db import connection

from bench import report_import

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the benchmark runs on PostgreSQL"
)


def test_the_run_prints_three_figures_and_where_the_batch_time_went(capsys):
    report_import.main(300)
    out = capsys.readouterr().out
    figures = {
        what: float(seconds)
        for what, seconds in re.findall(
            r"^  (\S.*?)\s{2,}(\d+\.\d+)\s+[\d,]+\s+\d+\s+\d+%$", out, re.M
        )
    }
    assert set(figures) == {
        "COPY into a bare table",
        "COPY into dispatch_report itself",
        "batch API path (check + write + rollups)",
    }, out
    parts = [float(s) for s in re.findall(r"^    .*?\s(\d+\.\d+) s$", out, re.M)]
    names = re.findall(r"^    (\S.*?)\s{2,}\d+\.\d+ s$", out, re.M)
    assert "rollups (Rollup, then CountyDay)" in names and "reports inserted" in names, out
    assert names[-1].startswith("Python") and parts[-1] >= 0, out
    assert sum(parts) == pytest.approx(
        figures["batch API path (check + write + rollups)"], abs=0.02
    )
