"""Malformed input never crashes krm-fn: it is refused with a message, or reported as an error
naming the resource, and then nothing changes. The examples, with fields broken at random."""

import copy
import random
from typing import Any

from support import example_cases, field_paths, replace_at

from krm_fn.framework import check_items, transform

BROKEN_VALUES: list[Any] = [None, "x", 3, [], {}, ["x"], [{"a": 1}], {"name": 5}]


def test_broken_fields_never_crash_and_errors_change_nothing() -> None:
    rng = random.Random(20261122)
    cases = example_cases()
    refused = reported = 0
    for _ in range(2000):
        items, config = rng.choice(cases)
        items = copy.deepcopy(items)
        for _ in range(rng.randint(1, 3)):
            target = rng.choice(items)
            path = rng.choice(list(field_paths(target)))
            replace_at(target, path, copy.deepcopy(rng.choice(BROKEN_VALUES)))
        try:
            check_items(items, "stdin")
        except ValueError as err:  # refused up front, with a message naming the item
            assert "stdin[" in str(err)
            refused += 1
            continue
        before = copy.deepcopy(items)
        results = transform(config, items)  # must not raise
        errors = [r for r in results if r.severity == "error"]
        if errors:
            reported += 1
            assert items == before, "a run with errors changed something"
    assert refused and reported  # both kinds of bad input were met
