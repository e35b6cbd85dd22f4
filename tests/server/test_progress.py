from __future__ import annotations

import io

from server.progress import LoadProgress


def test_progress_off_a_terminal_prints_lines_naming_what_it_does_with_each_kind() -> None:
    out = io.StringIO()
    progress = LoadProgress({"order": 200}, stream=out, every=0.0, verb="preparing")

    progress("order", 50)
    progress("order_line", 7)
    progress.close()

    assert out.getvalue().splitlines() == ["preparing order: 50/200 rows (25%)", "preparing order_line: 7 rows"]


def test_progress_says_loading_unless_told_otherwise() -> None:
    out = io.StringIO()

    LoadProgress({"customer": 10}, stream=out, every=0.0)("customer", 10)

    assert out.getvalue() == "loading customer: 10/10 rows (100%)\n"
