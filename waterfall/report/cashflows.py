"""Writers of the cash-flow report (``waterfall.cashflows``): CSV, Parquet and Excel."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from waterfall.cashflows import cashflow_table

if TYPE_CHECKING:
    from waterfall.engine import Result


def cashflows_csv(result: Result) -> str:
    """The report as CSV text: a header row, then one row per month (blank = not applicable)."""
    headers, _, rows = cashflow_table(result)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    return buffer.getvalue()


def write_cashflows_parquet(result: Result, path: str) -> None:
    """Write the report as Parquet (needs pyarrow: ``pip install 'rmbs-waterfall[parquet]'``)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    headers, units, rows = cashflow_table(result)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in headers]
    table = pa.table({h: list(c) for h, c in zip(headers, columns, strict=True)})
    metadata = {f"unit:{h}".encode(): u.encode() for h, u in zip(headers, units, strict=True)}
    pq.write_table(table.replace_schema_metadata(metadata), path)


def write_cashflows_xlsx(result: Result, path: str) -> None:
    """Write the report as an Excel workbook (needs openpyxl: the ``xlsx`` extra)."""
    from openpyxl import Workbook

    headers, units, rows = cashflow_table(result)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("cashflows")
    sheet.append(headers)
    sheet.append(units)
    for row in rows:
        sheet.append(row)
    book.save(path)
