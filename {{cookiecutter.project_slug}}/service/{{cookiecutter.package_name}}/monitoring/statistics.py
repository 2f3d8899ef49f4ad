"""The distribution tests the drift job runs, on NumPy alone: the drift job runs from the
service's image, which carries nothing but what serves. Each function is checked against
SciPy's own in the tests (tests/service/monitoring/test_statistics.py)."""

import math
from collections.abc import Sequence

import numpy as np


def kolmogorov_sf(x: float) -> float:
    """P(K > x) for the Kolmogorov distribution, from the two series that converge fast
    on either side of 1.18 (as in Numerical Recipes' `qks`); accurate to about 1e-8."""
    if x <= 0:
        return 1.0
    if x < 1.18:
        y = math.exp(-(math.pi**2) / (8 * x * x))
        return max(0.0, 1.0 - math.sqrt(2 * math.pi) / x * (y + y**9 + y**25 + y**49))
    y = math.exp(-2 * x * x)
    return 2 * (y - y**4 + y**9)


def ks_p_value(reference: np.ndarray, current: np.ndarray) -> float:
    """Two-sided two-sample Kolmogorov-Smirnov test: the largest gap between the samples'
    empirical CDFs, and its p-value from the Kolmogorov distribution with Stephens'
    small-sample correction: within about 0.01 of the exact p-value, except on two equal
    samples of a few dozen rows, where the exact one moves in steps."""
    reference, current = np.sort(reference), np.sort(current)
    values = np.concatenate([reference, current])
    gap = np.max(
        np.abs(
            np.searchsorted(reference, values, side="right") / len(reference)
            - np.searchsorted(current, values, side="right") / len(current)
        )
    )
    effective = math.sqrt(len(reference) * len(current) / (len(reference) + len(current)))
    return kolmogorov_sf((effective + 0.12 + 0.11 / effective) * float(gap))


def wasserstein_distance(reference: np.ndarray, current: np.ndarray) -> float:
    """The first Wasserstein (earth mover's) distance between two samples: the area
    between their empirical CDFs."""
    reference, current = np.sort(reference), np.sort(current)
    values = np.sort(np.concatenate([reference, current]))
    between = values[:-1]
    gaps = np.searchsorted(reference, between, side="right") / len(reference) - np.searchsorted(
        current, between, side="right"
    ) / len(current)
    return float(np.sum(np.abs(gaps) * np.diff(values)))


def upper_gamma_regularized(a: float, x: float) -> float:
    """Q(a, x) = Γ(a, x) / Γ(a): a series below a + 1, Lentz's continued fraction above."""
    if x <= 0:
        return 1.0
    if math.isinf(x):
        return 0.0
    log_prefix = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1 / a
        n = a
        while abs(term) > abs(total) * 1e-16:
            n += 1
            term *= x / n
            total += term
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    tiny = 1e-300
    b = x + 1 - a
    c, d = 1 / tiny, 1 / b
    fraction = d
    for i in range(1, 10_000):
        step = -i * (i - a)
        b += 2
        d = step * d + b
        d = 1 / (d if abs(d) > tiny else tiny)
        c = b + step / c
        c = c if abs(c) > tiny else tiny
        fraction *= d * c
        if abs(d * c - 1) < 1e-16:
            break
    return math.exp(log_prefix) * fraction


def chi_square_p_value(observed: Sequence[float], expected: Sequence[float]) -> float:
    """Pearson's goodness-of-fit test of `observed` counts against `expected` ones (the
    same total). A category expected never but observed makes the p-value 0."""
    observed, expected = np.asarray(observed, float), np.asarray(expected, float)
    if np.any((expected == 0) & (observed > 0)):
        return 0.0
    seen = expected > 0
    statistic = float(np.sum((observed[seen] - expected[seen]) ** 2 / expected[seen]))
    return upper_gamma_regularized((len(observed) - 1) / 2, statistic / 2)


def jensen_shannon_distance(p: Sequence[float], q: Sequence[float]) -> float:
    """The square root of the Jensen-Shannon divergence (natural logarithm) between two
    distributions, each normalised to sum to 1."""
    p, q = np.asarray(p, float) / np.sum(p), np.asarray(q, float) / np.sum(q)
    middle = (p + q) / 2

    def relative_entropy(a: np.ndarray) -> float:
        present = a > 0
        return float(np.sum(a[present] * np.log(a[present] / middle[present])))

    return math.sqrt(max(0.0, (relative_entropy(p) + relative_entropy(q)) / 2))
