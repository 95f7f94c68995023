"""`make bench`: every benchmark prints its figures (none asserts timings)."""

from tests.benchmarks import (
    cold_start,
    connectors,
    erp_requests,
    full_sync,
    hierarchy_requests,
    kommo_requests,
    people,
    usage,
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
    print()
    people.report()
    print()
    usage.print_prices()
    print(
        "  Read the cost lines above as what one such job adds to the bill (free tiers aside):"
        " scale by how often it runs."
    )


if __name__ == "__main__":
    main()
