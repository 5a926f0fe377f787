"""`make bench`: run every benchmark and print its figures beside same-run baselines.

    python -m bench                      # all of them
    python -m bench NAME [NAME …]        # some: import_enterprises, dispatch_stats,
                                         # report_api, report_import
    python -m bench import_enterprises 20000   # a row count for the imports

Sizes and durations come from environment variables (see each module's docstring), e.g.
FUGONG_BENCH_ENTERPRISES and FUGONG_BENCH_DAYS for dispatch_stats.
"""

import sys
from collections.abc import Callable


def _import_enterprises(rows: int | None) -> None:
    from bench import import_enterprises

    import_enterprises.main(rows or 100_000)


def _dispatch_stats(rows: int | None) -> None:
    from bench import dispatch_stats

    dispatch_stats.main()


def _report_api(rows: int | None) -> None:
    from bench import report_api

    report_api.main()


def _report_import(rows: int | None) -> None:
    from bench import report_import

    report_import.main(rows or 100_000)


BENCHMARKS: dict[str, Callable[[int | None], None]] = {
    "import_enterprises": _import_enterprises,
    "dispatch_stats": _dispatch_stats,
    "report_api": _report_api,
    "report_import": _report_import,
}


def main(argv: list[str]) -> int:
    names = [a for a in argv if not a.isdigit()]
    numbers = [int(a) for a in argv if a.isdigit()]
    rows = numbers[0] if numbers else None
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHMARKS)}")
        return 2
    for name in names or list(BENCHMARKS):
        BENCHMARKS[name](rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
