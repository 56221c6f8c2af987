"""Every process cache is a `course.core.caching.cache`: bounded, thread-safe, registered. The source of course/ is
scanned for the shapes of a cache written by hand, so none comes back unnoticed."""

from __future__ import annotations

import ast
from collections.abc import Iterator

import pytest

from course.core import caching
from tests.paths import PROJECT_ROOT

COURSE = PROJECT_ROOT / "course"
UTILITY = "course/core/caching.py"

# `functools.cache` keeps one value per argument: fine where the arguments come from a fixed tiny set.
ONE_TIME_VALUES = {
    "_fonts": "one cut of the bundled fonts per character-range set, and the app uses two",
    "covered_codepoints": "the same range sets as _fonts",
    "best_result_upsert": "one prepared statement per database dialect",
    "_asset": "the SCORM package's two static files",
}

# Module-level containers that functions fill: registries filled once at import, not caches.
REGISTRIES = {
    "_REGISTRY": "the cache registry itself (weak) and the question types",
    "SCENARIOS": "the sandbox scenarios, added at import",
    "METRICS": "the sandbox metrics, registered at import",
    "CRITERIA": "the rubric criteria, registered at import",
    "_subscriptions": "the integrations' event handlers, subscribed at import",
    "_channels": "the outbox channels, registered at import",
    "_kinds": "the background job kinds, registered at import",
    "_idle": "the fast reads' idle database connections per engine (course/fast/query.py): connections, not a cache",
    "_turns": "the submission lane's open lock file per SQLite database (course/fast/submission.py): not a cache",
}

# A lock outside the utility is what every hand-written cache needed: each must say why it is not one.
LOCKS = {
    "course/fast/submission.py": "queues one process's threads for the lane's SQLite writer lock; guards no cache",
    "course/publishing/cache.py": "one catalog per app, replaced when the published version moves (a single value)",
    "course/authoring/operations.py": "the published course's problems per app, for one content version (a single "
    "value)",
    "course/core/sandbox/evaluation.py": "the documents kept inside one cached evaluation, at most DOCUMENTS_KEPT",
    "course/jobs/runners.py": "starts the embedded job runner's thread once per process (no cache)",
}

CONTAINERS = {"dict", "set", "list", "defaultdict", "Counter", "deque", "WeakValueDictionary", "WeakKeyDictionary"}
MUTATORS = {"setdefault", "update", "add", "append", "extend", "insert", "pop", "popitem", "__setitem__"}
HINT = "use course.core.caching.cache(name, limit) for a process cache"


def sources() -> Iterator[tuple[str, str, ast.Module]]:
    for path in sorted(COURSE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        yield path.relative_to(PROJECT_ROOT).as_posix(), text, ast.parse(text, filename=str(path))


def _called_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_container(value: ast.AST | None) -> bool:
    if isinstance(value, ast.Dict | ast.Set | ast.List):
        return True
    return isinstance(value, ast.Call) and _called_name(value.func) in CONTAINERS


def _module_containers(tree: ast.Module) -> set[str]:
    """Names bound at module level to a mutable container."""
    found = set()
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and _is_container(statement.value):
            found |= {target.id for target in statement.targets if isinstance(target, ast.Name)}
        elif (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and _is_container(statement.value)
        ):
            found.add(statement.target.id)
    return found


def _mutated_in_functions(tree: ast.Module, names: set[str]) -> set[str]:
    """Which of `names` some function writes to: the shape of a memo (registries do it too, at import)."""
    written = set()
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del):
                target = node.value
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
                target = node.func.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id in names:
                written.add(target.id)
    return written


def _functools_cache_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "functools":
            names |= {alias.asname or alias.name for alias in node.names if alias.name == "cache"}
    return names


def test_no_ordered_dict_lru_cache_or_cachetools_outside_the_utility() -> None:
    found = []
    for path, text, _tree in sources():
        for word in ("OrderedDict", "lru_cache"):
            if word in text:
                found.append(f"{path}: {word}")
        if "cachetools" in text and path != UTILITY:
            found.append(f"{path}: cachetools")
    assert found == [], f"{HINT}: {found}"


def test_functools_cache_only_keeps_one_time_values() -> None:
    """A cached function without parameters is one value; with parameters it is a map that may grow."""
    found = []
    for path, _text, tree in sources():
        local_names = _functools_cache_names(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            cached = any(
                (isinstance(d, ast.Name) and d.id in local_names)
                or (isinstance(d, ast.Attribute) and d.attr == "cache" and _called_name(d.value) == "functools")
                for d in node.decorator_list
            )
            arguments = node.args
            takes_any = arguments.posonlyargs or arguments.args or arguments.kwonlyargs
            takes_any = takes_any or arguments.vararg or arguments.kwarg
            if cached and takes_any and node.name not in ONE_TIME_VALUES:
                found.append(f"{path}: {node.name}")
    assert found == [], f"{HINT} (or, for arguments from a fixed tiny set, add it to ONE_TIME_VALUES): {found}"


def test_no_module_level_container_is_filled_by_a_function_except_the_registries() -> None:
    found = []
    for path, _text, tree in sources():
        for name in sorted(_mutated_in_functions(tree, _module_containers(tree)) - set(REGISTRIES)):
            found.append(f"{path}: {name}")
    assert found == [], f"{HINT} (or, for a registry filled at import, add it to REGISTRIES): {found}"


def test_no_function_rebinds_module_state() -> None:
    """`global` in a function is how a single memoised value is written by hand."""
    found = [
        f"{path}: {', '.join(node.names)}"
        for path, _text, tree in sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.Global)
    ]
    assert found == [], f"{HINT}: {found}"


def test_every_lock_outside_the_utility_is_accounted_for() -> None:
    """Each converted cache had its own lock; a new lock is where a new hand-written cache would start."""
    found = []
    for path, _text, tree in sources():
        locks = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and _called_name(node.func) in {"Lock", "RLock"}
        ]
        if locks and path != UTILITY and path not in LOCKS:
            found.append(path)
    assert found == [], f"{HINT} (or say in LOCKS why this lock guards no cache): {found}"
    assert all((PROJECT_ROOT / path).exists() for path in LOCKS), "LOCKS names a file that is gone"


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("sandbox.evaluations", "course.core.sandbox.evaluation"),
        ("sandbox.benchmarks", "course.core.sandbox.benchmark"),
        ("sandbox.searches", "course.core.sandbox.benchmark"),
        ("quiz.revisions", "course.quiz.operations"),
        ("quiz.revision-checksums", "course.quiz.operations"),
    ],
)
def test_the_module_caches_are_registered_and_bounded(name: str, module: str) -> None:
    __import__(module)
    limits = {each.name: each.limit for each in caching.stats()}
    assert 1 <= limits[name] <= 4096


def test_the_scan_sees_the_shapes_it_forbids() -> None:
    """The checks above would catch the caches this project used to write by hand."""
    memo = ast.parse(
        "_seen: dict[int, str] = {}\n"
        "def checksum(key):\n"
        "    if key not in _seen:\n"
        "        _seen[key] = str(key)\n"
        "    return _seen[key]\n"
    )
    assert _mutated_in_functions(memo, _module_containers(memo)) == {"_seen"}
    registry = ast.parse("TABLE = {'a': 1}\ndef read(key):\n    return TABLE[key]\n")
    assert _mutated_in_functions(registry, _module_containers(registry)) == set()
    cached = ast.parse("from functools import cache as remember\n")
    assert _functools_cache_names(cached) == {"remember"}
