"""`make bench`: every benchmark prints its figures (none asserts timings)."""

from tests.benchmarks import cold_start


def main() -> None:
    cold_start.report()


if __name__ == "__main__":
    main()
