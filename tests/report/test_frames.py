"""DataFrames for a notebook: Result.cashflows() and GridResult.frame() hold the files' columns
and numbers (pandas is an optional extra)."""

from __future__ import annotations

import csv
import dataclasses
import io
import sys
from pathlib import Path

import numpy as np
import pytest

from waterfall import BASE, load_deal, run
from waterfall.grid import GridPoint
from waterfall.grid.run import run_grid
from waterfall.report.cashflows import cashflows_csv
from waterfall.report.grid import COLUMNS as GRID_COLUMNS
from waterfall.report.grid import grid_csv
from waterfall.scenario import Curve

pd = pytest.importorskip("pandas")

REPO = Path(__file__).resolve().parents[2]
DEAL = load_deal(REPO / "deals" / "2002-HE1.yaml")
SCENARIO = dataclasses.replace(
    BASE,
    prepayment=Curve("cpr", 30.0),
    default=Curve("cdr", 8.0),
    severity=Curve("severity", 45.0),
    recovery_lag_months=12,
    months=120,
)


def test_cashflows_frame_has_the_file_columns_and_numbers() -> None:
    result = run(DEAL, SCENARIO)
    frame = result.cashflows()
    rows = list(csv.reader(io.StringIO(cashflows_csv(result))))
    header, body = rows[0], rows[1:]
    assert frame.index.name == "month"
    assert ["month", *frame.columns] == header
    assert list(frame.index) == [int(row[0]) for row in body]
    assert str(frame["date"].dtype).startswith("datetime64")
    assert frame.attrs["units"]["A-1.principal"] == "dollars"
    for name in ("pool.losses", "B.writedown", "M-1.coupon_percent", "X.residual"):
        column = header.index(name)
        from_file = [float(row[column]) if row[column] else np.nan for row in body]
        np.testing.assert_array_equal(frame[name].to_numpy(dtype=float), from_file)
    # the frame ties out like the file: cash in = cash out every month
    np.testing.assert_allclose(frame["cash_in"], frame["cash_out"], atol=0.005)


def test_grid_frame_has_the_csv_columns_and_numbers() -> None:
    points = (GridPoint(cpr=20.0, cdr=0.0), GridPoint(cpr=20.0, cdr=25.0))
    grid = run_grid(DEAL, SCENARIO, points, 100.0)
    frame = grid.frame()
    rows = list(csv.reader(io.StringIO(grid_csv(grid))))
    assert list(frame.columns) == rows[0] == list(GRID_COLUMNS)
    assert len(frame) == len(rows) - 1 == 2 * len(grid.class_names)
    yields = [float(row[rows[0].index("yield")]) if row[rows[0].index("yield")] else np.nan
              for row in rows[1:]]  # fmt: skip
    np.testing.assert_allclose(frame["yield"].to_numpy(dtype=float), yields, rtol=1e-9)
    assert frame["yield"].isna().any()  # a written-off class has no yield: NaN, not None


def test_without_pandas_the_frames_say_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    result = run(DEAL, dataclasses.replace(SCENARIO, months=3))
    with pytest.raises(ImportError, match=r"pip install 'rmbs-waterfall\[pandas\]'"):
        result.cashflows()


def test_the_readme_dataframe_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### DataFrames") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code
    monkeypatch.chdir(REPO)
    namespace: dict[str, object] = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)
    flows = namespace["flows"]
    assert isinstance(flows, pd.DataFrame)
    assert len(flows) == namespace["result"].n_months  # type: ignore[attr-defined]
