"""The one process cache utility: an LRU of bounded size, safe across threads, in a weak registry of unique names."""

from __future__ import annotations

import gc
import itertools
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course.core import caching
from course.core.caching import Cache, cache

_numbers = itertools.count()


def fresh(limit: int) -> Cache:
    """A cache under a name no other test uses (the registry is per process)."""
    return cache(f"test.caching.{next(_numbers)}", limit)


def test_the_least_recently_used_entry_goes_first_when_full() -> None:
    kept = fresh(3)
    for key in "abc":
        kept.put(key, key.upper())
    assert kept.get("a") == "A"  # now the most recently used: "b" is the oldest
    kept.put("d", "D")
    assert "b" not in kept
    assert [key in kept for key in "acd"] == [True, True, True]
    kept.put("e", "E")
    assert "c" not in kept and len(kept) == 3


def test_putting_a_kept_key_replaces_its_value_without_growing() -> None:
    kept = fresh(2)
    kept.put("a", 1)
    kept.put("a", 2)
    assert kept.get("a") == 2 and len(kept) == 1


def test_get_or_compute_computes_once_and_counts_hits_and_misses() -> None:
    kept = fresh(4)
    calls: list[str] = []

    def compute() -> str:
        calls.append("x")
        return "value"

    assert kept.get_or_compute("k", compute) == "value"
    assert kept.get_or_compute("k", compute) == "value"
    assert calls == ["x"]
    stats = kept.stats()
    assert (stats.size, stats.limit, stats.hits, stats.misses) == (1, 4, 1, 1)


def test_a_kept_none_is_not_computed_again() -> None:
    kept = fresh(2)
    calls: list[int] = []
    kept.get_or_compute("k", lambda: calls.append(1))
    kept.get_or_compute("k", lambda: calls.append(1))
    assert calls == [1]
    assert kept.get("k") is None and "k" in kept


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        fresh(0)


def test_a_name_is_refused_while_its_cache_lives_and_free_once_it_is_gone() -> None:
    first = cache("test.caching.taken", 2)
    with pytest.raises(ValueError, match="exists already"):
        cache("test.caching.taken", 5)
    del first
    gc.collect()
    again = cache("test.caching.taken", 5)
    assert again.limit == 5


def test_the_registry_holds_its_caches_weakly() -> None:
    """A cache owned by an object (one app's page shells) leaves the registry with its owner."""

    class Owner:
        def __init__(self) -> None:
            self.shells = cache(f"test.caching.owner-{id(self)}", 2)

    owner = Owner()
    name = owner.shells.name
    assert name in {each.name for each in caching.registered()}
    del owner
    gc.collect()
    assert name not in {each.name for each in caching.registered()}
    assert name not in {each.name for each in caching.stats()}


def test_clear_all_empties_every_registered_cache() -> None:
    first, second = fresh(2), fresh(2)
    first.put("a", 1)
    second.put("b", 2)
    caching.clear_all()
    assert len(first) == 0 and len(second) == 0
    assert first.get("a") is None


def test_clear_all_leaves_a_cache_of_code_only_values_which_clear_still_empties() -> None:
    searches = cache(f"test.caching.code-only-{next(_numbers)}", 2, survives_clear_all=True)
    searches.put("defend", "found")
    caching.clear_all()
    assert searches.get("defend") == "found"
    searches.clear()
    assert len(searches) == 0


def test_threads_hammering_one_cache_never_break_it_or_its_bound() -> None:
    kept = fresh(16)
    errors: list[BaseException] = []
    sizes: list[int] = []
    start = threading.Barrier(8)

    def work(worker: int) -> None:
        try:
            start.wait()
            for step in range(3000):
                key = (worker * 7 + step) % 40
                kept.put(key, key * 2)
                found = kept.get((key + 3) % 40)
                assert found is None or found == ((key + 3) % 40) * 2
                assert kept.get_or_compute(key + 100, lambda key=key: key) == key
                if step % 50 == 0:
                    sizes.append(len(kept))
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sizes and max(sizes) <= 16
    assert len(kept) == 16  # full, and never over
    stats = kept.stats()
    assert stats.hits + stats.misses == 8 * 3000 * 2


@settings(max_examples=200, deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=5),
    steps=st.lists(st.tuples(st.sampled_from(["put", "get"]), st.integers(min_value=0, max_value=8)), max_size=60),
)
def test_it_behaves_like_a_model_lru(limit: int, steps: list[tuple[str, int]]) -> None:
    """After any sequence of puts and gets it holds exactly the `limit` most recently used keys, with their values."""
    kept = fresh(limit)
    model: dict[int, int] = {}  # insertion order = recency, oldest first
    for version, (action, key) in enumerate(steps):
        if action == "put":
            model.pop(key, None)
            model[key] = version
            if len(model) > limit:
                del model[next(iter(model))]
            kept.put(key, version)
        else:
            expected = model.pop(key, None)
            if expected is not None:
                model[key] = expected
            assert kept.get(key) == expected
        assert len(kept) == len(model) <= limit
    assert {key: kept.get(key) for key in model} == model
    assert not any(key in kept for key in set(range(9)) - set(model))
