"""Quiz item analysis after Moodle's statistics report: is a question too easy, too hard, or measuring something else?

Input is plain data: a sequence of attempts, each a mapping ``question_id → (mark, max_mark)`` for the questions
that attempt contained. With random draws from a pool not every attempt has every question; a question's
statistics use only the attempts that contained it, and an attempt's total T is the sum over its own questions.

The caller chooses which attempts to pass. Pass **first attempts only** (Moodle's default): later attempts are
taken by learners who have seen the questions and their feedback, which breaks the assumptions behind the indices.

Scales follow the formulas they implement, so check the unit before displaying:

* ``facility`` and ``sd`` are fractions of the question's maximum mark (0..1); ``discrimination`` is a Pearson
  correlation (−1..1). Moodle displays all three multiplied by 100: use :func:`percent`.
* ``discriminative_efficiency`` and ``coefficient_of_internal_consistency`` are already percentages (≤ 100),
  as in Moodle's formulas, and the "dubious" threshold of 15 is on that scale.

Statistics that are undefined (no attempts, one attempt, a constant mark) are ``None``, never NaN, so templates
can print a dash and comparisons never silently fail. Sums use :func:`math.fsum`, which makes every result
independent of the order of the attempts.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

Q = TypeVar("Q", bound=Hashable)

Attempt = Mapping[Q, tuple[float, float]]  # question_id → (mark, max_mark)
Counts = Mapping[float, int]  # a mark → how many attempts had it
PairCounts = Mapping[tuple[float, float], int]  # (item mark x, rest-of-test mark X) → how many attempts had the pair

VERY_EASY_FACILITY = 0.95  # Open University guidance: 95 % or above is extremely easy
VERY_HARD_FACILITY = 0.05  # … and 5 % or below extremely difficult
DUBIOUS_EFFICIENCY = 15.0  # Moodle's report marks a question "dubious" below 15 % discriminative efficiency


class ItemFlag(StrEnum):
    """Why a question deserves a trainer's look; stable keys so the web layer can translate them."""

    VERY_EASY = "very_easy"  # facility ≥ 0.95: nearly everyone gets it, it tells learners apart poorly
    VERY_HARD = "very_hard"  # facility ≤ 0.05: nearly nobody gets it; often a wrong key or unclear wording
    DUBIOUS = "dubious"  # discriminative efficiency < 15 %: Moodle's "dubious" marker
    NEGATIVE_DISCRIMINATION = "negative_discrimination"  # the strong learners do worse on it than the weak ones


@dataclass(frozen=True)
class ItemStatistics(Generic[Q]):
    """One question's indices over the attempts that contained it; ``None`` where undefined.

    ``attempts`` is n, the number of attempts containing the question. ``facility`` is mean mark / max mark and
    ``sd`` the sample standard deviation of the mark divided by the max mark (both 0..1, ``None`` for a
    zero max mark). ``discrimination`` is the correlation with the rest of the test (−1..1);
    ``discriminative_efficiency`` is a percentage (≤ 100). ``flags`` lists the reasons to review the question.
    """

    question_id: Q
    attempts: int
    max_mark: float
    facility: float | None
    sd: float | None
    discrimination: float | None
    discriminative_efficiency: float | None
    flags: tuple[ItemFlag, ...] = ()


def percent(value: float | None) -> float | None:
    """A fraction (facility, sd, discrimination) on Moodle's 0..100 display scale; ``None`` stays ``None``."""
    return None if value is None else 100.0 * value


def facility(marks: Sequence[float], max_mark: float) -> float | None:
    """Mean mark as a fraction of the maximum (Moodle: ``markaverage / maxmark``): how easy the question was.

    ``None`` without marks or with a zero maximum, where "how easy" has no meaning.
    """
    _check_finite(marks, "mark")
    _check_max_mark(max_mark)
    if not marks or max_mark == 0:
        return None
    return _mean(marks) / max_mark


def discrimination(item_marks: Sequence[float], rest_marks: Sequence[float]) -> float | None:
    """Pearson correlation of the item mark x with the rest of the test X = T − x: do strong learners get it right?

    Uses sample (n − 1) moments like Moodle (the n − 1 cancels in a correlation). ``None`` with fewer than two
    attempts or when either side is constant, where the correlation is undefined.
    """
    moments = _moments(item_marks, rest_marks)
    if moments is None:
        return None
    var_x, var_rest, cov, _ = moments
    r = cov / (math.sqrt(var_x) * math.sqrt(var_rest))  # two roots: the product of variances may under/overflow
    return max(-1.0, min(1.0, r))  # rounding must not push a correlation past ±1


def discriminative_efficiency(item_marks: Sequence[float], rest_marks: Sequence[float]) -> float | None:
    """100 · Cov(x, X) / Cov_max, in percent: discrimination relative to the best this mark distribution allows.

    Cov_max pairs the independently sorted x and X, the largest covariance any pairing of these marks could reach,
    so a very easy or very hard question is not blamed for the ceiling its own distribution imposes. ``None`` with
    fewer than two attempts or when either side is constant (Cov_max is then zero).
    """
    moments = _moments(item_marks, rest_marks)
    if moments is None:
        return None
    _, _, cov, cov_max = moments
    return min(100.0, 100.0 * cov / cov_max)  # Cov ≤ Cov_max exactly; rounding must not report 100.000…01


def item_statistics(
    attempts: Sequence[Attempt[Q]], max_marks: Mapping[Q, float] | None = None
) -> dict[Q, ItemStatistics[Q]]:
    """Facility, spread and discrimination for every question, with Moodle-style review flags.

    ``max_marks`` declares the quiz's questions and their maximum marks: every listed question gets an entry (with
    ``attempts == 0`` and ``None`` statistics when no attempt drew it), in that order. Without it, questions
    appear in order of first occurrence and their max mark comes from the attempts. Raises ``ValueError`` for a
    question not in ``max_marks``, a max mark that disagrees between attempts or with ``max_marks``, a negative
    max mark or a non-finite mark, because mixing scales would make the indices meaningless.
    """
    declared = dict(max_marks) if max_marks is not None else {}
    for question_id, max_mark in declared.items():
        _check_max_mark(max_mark, question_id)
    seen_max: dict[Q, float] = dict(declared)
    item: dict[Q, list[float]] = {question_id: [] for question_id in declared}
    rest: dict[Q, list[float]] = {question_id: [] for question_id in declared}

    for number, attempt in enumerate(attempts):
        marks: dict[Q, float] = {}
        for question_id, (mark, max_mark) in attempt.items():
            _check_finite((mark,), f"mark of question {question_id!r} in attempt {number}")
            _check_max_mark(max_mark, question_id)
            if max_marks is not None and question_id not in declared:
                raise ValueError(f"attempt {number} has question {question_id!r}, which max_marks does not list")
            known = seen_max.setdefault(question_id, max_mark)
            if known != max_mark:
                raise ValueError(f"question {question_id!r} has max mark {max_mark} in attempt {number}, not {known}")
            marks[question_id] = mark
        for question_id, mark in marks.items():
            item.setdefault(question_id, []).append(mark)
            # The rest of the test summed directly rather than as T − x: if the other marks are constant, X is
            # then exactly constant and the statistics correctly come out undefined instead of rounding noise.
            rest.setdefault(question_id, []).append(math.fsum(m for q, m in marks.items() if q != question_id))

    return {
        question_id: _item(question_id, seen_max[question_id], item[question_id], rest[question_id])
        for question_id in item
    }


def coefficient_of_internal_consistency(attempts: Sequence[Attempt[Q]]) -> float | None:
    """CIC = 100 · P/(P−1) · (1 − ΣVar(x_i)/Var(T)) in percent (Cronbach's alpha): do the questions measure one thing?

    P is the number of positions. Defined only when every attempt has the same P ≥ 2 questions, there are at least
    two attempts and the totals vary; otherwise ``None``. With random draws, key each attempt by position (slot)
    instead of question id to get Moodle's per-position CIC.
    """
    if len(attempts) < 2:
        return None
    positions = set(attempts[0])
    if len(positions) < 2 or any(set(attempt) != positions for attempt in attempts):
        return None
    columns: dict[Q, list[float]] = {position: [] for position in positions}
    totals = []
    for attempt in attempts:
        marks = [mark for mark, _ in attempt.values()]
        _check_finite(marks, "mark")
        totals.append(math.fsum(marks))
        for position, (mark, _) in attempt.items():
            columns[position].append(mark)
    var_total = _variance(totals)
    if var_total is None or var_total == 0:
        return None
    sum_item_variance = math.fsum(_variance(column) or 0.0 for column in columns.values())
    p = len(positions)
    return 100.0 * p / (p - 1) * (1.0 - sum_item_variance / var_total)


def _item(question_id: Q, max_mark: float, marks: list[float], rest_marks: list[float]) -> ItemStatistics[Q]:
    """Assemble one question's statistics and the flags Moodle's report would raise for them."""
    fac = facility(marks, max_mark)
    variance = _variance(marks)
    sd = None if variance is None or max_mark == 0 else math.sqrt(variance) / max_mark
    disc = discrimination(marks, rest_marks)
    efficiency = discriminative_efficiency(marks, rest_marks)
    return ItemStatistics(
        question_id=question_id,
        attempts=len(marks),
        max_mark=max_mark,
        facility=fac,
        sd=sd,
        discrimination=disc,
        discriminative_efficiency=efficiency,
        flags=_flags(fac, disc, efficiency),
    )


def _flags(fac: float | None, disc: float | None, efficiency: float | None) -> tuple[ItemFlag, ...]:
    """The review flags Moodle's report would raise for these indices."""
    flags = []
    if fac is not None and fac >= VERY_EASY_FACILITY:
        flags.append(ItemFlag.VERY_EASY)
    if fac is not None and fac <= VERY_HARD_FACILITY:
        flags.append(ItemFlag.VERY_HARD)
    if efficiency is not None and efficiency < DUBIOUS_EFFICIENCY:
        flags.append(ItemFlag.DUBIOUS)
    if disc is not None and disc < 0:
        flags.append(ItemFlag.NEGATIVE_DISCRIMINATION)
    return tuple(flags)


# --- the same statistics from counts ------------------------------------------------------------------------------
#
# SQL can count how many attempts gave each (mark, rest-of-test) pair far faster than Python can walk the attempts.
# These functions give the same numbers as the ones above to the last bit: every sum of a repeated value is the exact
# sum rounded once, which is what math.fsum returns for the list (tests/core/test_quiz_statistics.py holds the two
# together on random attempts).


def counted_sum(counts: Iterable[tuple[float, int]]) -> float:
    """``math.fsum`` of each value repeated its count times, without building the list: exact, then rounded once.

    Every finite double is a whole multiple of 2**-1074, so the sum is exact in integers; Python's int division
    rounds correctly, as fsum does.
    """
    total = 0
    for value, count in counts:
        numerator, denominator = value.as_integer_ratio()  # the denominator is a power of two
        total += count * numerator << (_EXPONENT - denominator.bit_length() + 1)
    return total / _UNIT


_EXPONENT = 1074
_UNIT = 1 << _EXPONENT


def item_statistics_from_counts(question_id: Q, max_mark: float, pairs: PairCounts) -> ItemStatistics[Q]:
    """One question's :func:`item_statistics`, from how many attempts had each (mark x, rest of the test X) pair.

    X is the sum of the attempt's other marks, as ``item_statistics`` sums them (``math.fsum``).
    """
    _check_max_mark(max_mark, question_id)
    _check_finite([value for pair in pairs for value in pair], f"mark of question {question_id!r}")
    marks = _marginal(pairs, 0)
    n = sum(marks.values())
    fac = _counted_mean(marks, n) / max_mark if n and max_mark != 0 else None
    variance = _counted_variance(marks)
    sd = None if variance is None or max_mark == 0 else math.sqrt(variance) / max_mark
    moments = _counted_moments(pairs)
    disc = efficiency = None
    if moments is not None:
        var_x, var_rest, cov, cov_max = moments
        disc = max(-1.0, min(1.0, cov / (math.sqrt(var_x) * math.sqrt(var_rest))))
        efficiency = min(100.0, 100.0 * cov / cov_max)
    return ItemStatistics(
        question_id=question_id,
        attempts=n,
        max_mark=max_mark,
        facility=fac,
        sd=sd,
        discrimination=disc,
        discriminative_efficiency=efficiency,
        flags=_flags(fac, disc, efficiency),
    )


def coefficient_from_counts(positions: Sequence[Counts], totals: Counts) -> float | None:
    """:func:`coefficient_of_internal_consistency` from counts, for attempts that all have ``len(positions)``
    questions: the marks at each position, and the attempts' totals (``math.fsum`` of their marks)."""
    _check_finite([*totals, *(mark for column in positions for mark in column)], "mark")
    if sum(totals.values()) < 2 or len(positions) < 2:
        return None
    var_total = _counted_variance(totals)
    if var_total is None or var_total == 0:
        return None
    sum_item_variance = math.fsum(_counted_variance(column) or 0.0 for column in positions)
    p = len(positions)
    return 100.0 * p / (p - 1) * (1.0 - sum_item_variance / var_total)


def _marginal(pairs: PairCounts, side: int) -> dict[float, int]:
    counts: dict[float, int] = {}
    for pair, count in pairs.items():
        counts[pair[side]] = counts.get(pair[side], 0) + count
    return counts


def _counted_mean(counts: Counts, n: int) -> float:
    """:func:`_mean` of the values repeated their counts."""
    return min(max(counted_sum(counts.items()) / n, min(counts)), max(counts))


def _counted_variance(counts: Counts) -> float | None:
    """:func:`_variance` of the values repeated their counts."""
    n = sum(counts.values())
    if n < 2:
        return None
    if len(counts) == 1:
        return 0.0
    mean = _counted_mean(counts, n)
    return counted_sum(((value - mean) ** 2, count) for value, count in counts.items()) / (n - 1)


def _counted_moments(pairs: PairCounts) -> tuple[float, float, float, float] | None:
    """:func:`_moments` of the pairs repeated their counts; Cov_max pairs the sorted marginals run by run."""
    xs, ys = _marginal(pairs, 0), _marginal(pairs, 1)
    n = sum(xs.values())
    if n < 2 or len(xs) == 1 or len(ys) == 1:
        return None
    mean_x = _counted_mean(xs, n)
    mean_y = _counted_mean(ys, n)
    var_x = counted_sum(((x - mean_x) * (x - mean_x), count) for x, count in xs.items()) / (n - 1)
    var_y = counted_sum(((y - mean_y) * (y - mean_y), count) for y, count in ys.items()) / (n - 1)
    cov = counted_sum(((x - mean_x) * (y - mean_y), count) for (x, y), count in pairs.items()) / (n - 1)
    cov_max = counted_sum(_sorted_products(xs, ys, mean_x, mean_y)) / (n - 1)
    if var_x <= 0 or var_y <= 0 or cov_max <= 0:
        return None
    return var_x, var_y, cov, cov_max


def _sorted_products(xs: Counts, ys: Counts, mean_x: float, mean_y: float) -> Iterator[tuple[float, int]]:
    """(dx · dy, how often) for the k-th smallest x paired with the k-th smallest y, one run of equal pairs at a time.

    Subtracting the mean keeps the order (rounding is monotonic), so this is ``zip(sorted(dx), sorted(dy))``.
    """
    x_runs, y_runs = iter(sorted(xs.items())), iter(sorted(ys.items()))
    (x, x_left), (y, y_left) = next(x_runs), next(y_runs)
    while True:
        run = min(x_left, y_left)
        yield (x - mean_x) * (y - mean_y), run
        x_left, y_left = x_left - run, y_left - run
        if not x_left:
            following = next(x_runs, None)
            if following is None:
                return
            x, x_left = following
        if not y_left:
            y, y_left = next(y_runs)


def _moments(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float, float, float] | None:
    """Sample Var(x), Var(y), Cov(x, y) and the sorted-pairing Cov_max; ``None`` where a correlation is undefined."""
    if len(xs) != len(ys):
        raise ValueError(f"{len(xs)} item marks but {len(ys)} rest-of-test marks")
    _check_finite(xs, "item mark")
    _check_finite(ys, "rest-of-test mark")
    n = len(xs)
    # Constant data is detected exactly: a variance computed in floats can come out as rounding noise.
    if n < 2 or min(xs) == max(xs) or min(ys) == max(ys):
        return None
    mean_x = _mean(xs)
    mean_y = _mean(ys)
    dx = [x - mean_x for x in xs]
    dy = [y - mean_y for y in ys]
    var_x = math.fsum(d * d for d in dx) / (n - 1)
    var_y = math.fsum(d * d for d in dy) / (n - 1)
    cov = math.fsum(a * b for a, b in zip(dx, dy, strict=True)) / (n - 1)
    cov_max = math.fsum(a * b for a, b in zip(sorted(dx), sorted(dy), strict=True)) / (n - 1)
    if var_x <= 0 or var_y <= 0 or cov_max <= 0:  # only reachable through underflow of tiny differences
        return None
    return var_x, var_y, cov, cov_max


def _mean(values: Sequence[float]) -> float:
    """Arithmetic mean kept within [min, max]: rounding must not make full marks a facility of 1.0000000000000002."""
    return min(max(math.fsum(values) / len(values), min(values)), max(values))


def _variance(values: Sequence[float]) -> float | None:
    """Sample (n − 1) variance, exactly 0 for constant data, ``None`` below two values."""
    n = len(values)
    if n < 2:
        return None
    if min(values) == max(values):
        return 0.0
    mean = _mean(values)
    return math.fsum((v - mean) ** 2 for v in values) / (n - 1)


def _check_finite(values: Sequence[float], what: str) -> None:
    """Reject NaN and infinities up front: they would turn every index into NaN without a word."""
    for value in values:
        if not math.isfinite(value):
            raise ValueError(f"{what} must be a finite number, got {value!r}")


def _check_max_mark(max_mark: float, question_id: object = None) -> None:
    """A max mark must be finite and non-negative; zero is allowed (an ungraded item) and yields no facility."""
    if not math.isfinite(max_mark) or max_mark < 0:
        where = "" if question_id is None else f" of question {question_id!r}"
        raise ValueError(f"max mark{where} must be a finite non-negative number, got {max_mark!r}")
