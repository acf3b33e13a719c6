"""Reports of a result store: report.md with the seed post's figures, tables and claims."""

from saeinit.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "write_report": "saeinit.reports.report",
    },
)
