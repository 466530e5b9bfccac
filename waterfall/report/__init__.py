"""What we say about a result: terminal tables, JSON and CSV (no engine calls)."""

from waterfall.report.summary import pool_summary, result_summary

__all__ = ["pool_summary", "result_summary"]
