"""The one in-process cache the app uses: bounded, thread-safe, named, and listed in one registry.

Every process cache (parsed quiz revisions, sandbox evaluations, item reports, rendered page shells …) is a
`Cache` made with `cache(name, size)`. Each is a least-recently-used map of at most `size` entries behind a
lock, so a busy server never grows one without limit and two threads never corrupt one. The registry lets
tests start clean (`clear_all()`), lets an operator see every cache at once (`stats()`), and refuses a second
cache under a taken name. docs/architecture.md ("Caches") lists them with what each keeps and why.

Only plain data goes in; the cache never computes under its lock, so a slow computation never blocks readers
of other keys. Two threads that miss the same key at once both compute it; the second write wins, which is
harmless for values that depend only on their key (the rule for everything cached here).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from cachetools import LRUCache

V = TypeVar("V")

# Weak: a cache owned by one app object (the page shells) leaves the registry with that app.
_REGISTRY: weakref.WeakValueDictionary[str, Cache] = weakref.WeakValueDictionary()
_REGISTRY_LOCK = threading.Lock()
_MISSING = object()


@dataclass(frozen=True)
class CacheStats:
    name: str
    size: int
    limit: int
    hits: int
    misses: int


class Cache(Generic[V]):
    """A named LRU map of at most `limit` entries; every method is safe to call from several threads."""

    def __init__(self, name: str, limit: int, *, survives_clear_all: bool = False) -> None:
        if limit < 1:
            raise ValueError(f"cache {name!r}: the limit must be at least 1, not {limit}")
        self.name = name
        self.limit = limit
        self.survives_clear_all = survives_clear_all
        self._data: LRUCache[Hashable, V] = LRUCache(maxsize=limit)
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    def get(self, key: Hashable) -> V | None:
        """The value (now the most recently used), or None."""
        found = self._lookup(key)
        return None if found is _MISSING else found

    def _lookup(self, key: Hashable) -> V | object:
        """The value or `_MISSING`: a kept None is a hit too, so `get_or_compute` never recomputes it."""
        with self._lock:
            try:
                value = self._data[key]
            except KeyError:
                self._misses += 1
                return _MISSING
            self._hits += 1
            return value

    def put(self, key: Hashable, value: V) -> V:
        """Keep `value`, dropping the least recently used entry when full; returns `value`."""
        with self._lock:
            self._data[key] = value
        return value

    def get_or_compute(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The cached value, else `compute()` run outside the lock and kept."""
        found = self._lookup(key)
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        return self.put(key, compute())

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._data

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self.name, len(self._data), self.limit, self._hits, self._misses)


def cache(name: str, limit: int, *, survives_clear_all: bool = False) -> Cache:
    """Create and register a cache. A name is taken while its cache lives: modules create theirs once at import;
    a cache that belongs to one app object carries that app in its name.

    `survives_clear_all` is only for values that depend on nothing but their key and the code (no database, config
    or clock) and are dear to compute, such as the sandbox's design-space searches (about 1 s each): emptying them
    before every test would repeat the same work and change no result. `Cache.clear()` still empties them.
    """
    with _REGISTRY_LOCK:
        if name in _REGISTRY:
            raise ValueError(f"a cache named {name!r} exists already")
        created: Cache = Cache(name, limit, survives_clear_all=survives_clear_all)
        _REGISTRY[name] = created
        return created


def registered() -> Iterator[Cache]:
    with _REGISTRY_LOCK:
        return iter(list(_REGISTRY.values()))


def clear_all() -> None:
    """Empty every registered cache but those made `survives_clear_all` (tests start each app from a clean process
    state)."""
    for each in registered():
        if not each.survives_clear_all:
            each.clear()


def stats() -> list[CacheStats]:
    return [each.stats() for each in registered()]
