"""`make bench`: run every benchmark and print its figures beside same-run baselines."""

import sys

from bench import import_enterprises


def main() -> int:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    import_enterprises.main(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
