"""No module of the product passes 400 lines: a longer one holds more than one thing (house style)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("domain", "graph", "resolvers", "sources", "server")
MAX_LINES = 400


def test_no_product_module_is_over_400_lines() -> None:
    modules = [path for package in PRODUCT for path in sorted((ROOT / package).rglob("*.py"))]
    assert len(modules) > 50  # the scan sees the product
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in modules
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}, f"modules over {MAX_LINES} lines: {too_long}"
