"""Reports of a result store: report.md with the seed post's figures, tables and claims."""

from saeinit.reports.report import write_report

__all__ = ["write_report"]
