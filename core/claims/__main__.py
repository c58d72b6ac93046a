"""`python -m core.claims --write [KEY ...]`: measure the registered claims and write assets/claims.json;
without --write, print the measured results next to the shipped ones."""

from __future__ import annotations

import argparse

from core.claims import all_claims, evaluate, same_numbers, shipped, write


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("keys", nargs="*", help="claim keys (default: all)")
    parser.add_argument("--write", action="store_true", help="write assets/claims.json")
    args = parser.parse_args()
    keys = args.keys or None
    if args.write:
        for key, result in write(keys).items():
            print(f"{key}: {result['verdict']} — {result['summary']}")
        return
    for key, claim in all_claims().items():
        if keys is None or key in keys:
            now, old = evaluate(claim), shipped().get(key)
            same = old is not None and same_numbers(now["values"], old["values"])
            print(
                f"{key}: {now['verdict']} (expected {claim.expected}; shipped numbers {'match' if same else 'DIFFER'})"
            )
            print(f"  {now['summary']}")


if __name__ == "__main__":
    main()
