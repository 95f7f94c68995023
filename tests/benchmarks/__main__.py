"""`make bench`: every benchmark prints its figures (none asserts timings)."""

from tests.benchmarks import (
    cold_start,
    connectors,
    erp_requests,
    full_sync,
    hierarchy_requests,
    kommo_requests,
)


def main() -> None:
    cold_start.report()
    print()
    erp_requests.report()
    print()
    full_sync.report()
    print()
    hierarchy_requests.report()
    print()
    kommo_requests.report()
    print()
    connectors.report()


if __name__ == "__main__":
    main()
