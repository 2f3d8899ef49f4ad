"""The drift job's own distribution tests agree with SciPy's (SciPy is a training
dependency, never in the service's image)."""

import numpy as np
import pytest
from scipy import special, stats
from scipy.spatial import distance

from {{ cookiecutter.package_name }}.monitoring.statistics import (
    chi_square_p_value,
    jensen_shannon_distance,
    kolmogorov_sf,
    ks_p_value,
    upper_gamma_regularized,
    wasserstein_distance,
)

RNG = np.random.default_rng(11)
# (reference rows, window rows, shift in standard deviations): sizes the drift job sees.
SAMPLES = [(120, 30, 0.0), (120, 30, 0.6), (1_000, 50, 0.3), (500, 5_000, 0.05), (200, 2_000, 0.2)]


@pytest.mark.parametrize("x", [0.0, 0.3, 0.8, 1.0, 1.17, 1.18, 1.5, 2.0, 3.0])
def test_kolmogorov_tail_matches_scipy(x: float) -> None:
    assert kolmogorov_sf(x) == pytest.approx(special.kolmogorov(x), abs=1e-9)


@pytest.mark.parametrize(("rows", "window", "shift"), SAMPLES)
def test_ks_p_value_is_within_a_hundredth_of_the_exact_one(
    rows: int, window: int, shift: float
) -> None:
    for _ in range(10):
        reference, current = RNG.normal(size=rows), RNG.normal(shift, size=window)
        exact = stats.ks_2samp(reference, current, method="exact").pvalue
        assert ks_p_value(reference, current) == pytest.approx(exact, abs=0.012)


@pytest.mark.parametrize(("rows", "window", "shift"), SAMPLES)
def test_wasserstein_distance_matches_scipy(rows: int, window: int, shift: float) -> None:
    reference, current = RNG.normal(size=rows), RNG.exponential(1 + shift, size=window)
    expected = stats.wasserstein_distance(reference, current)
    assert wasserstein_distance(reference, current) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("a", "x"), [(0.5, 0.1), (0.5, 3), (1, 2), (2.5, 1), (2.5, 10), (10, 30), (50, 40), (3, 200)]
)
def test_upper_gamma_matches_scipy(a: float, x: float) -> None:
    assert upper_gamma_regularized(a, x) == pytest.approx(special.gammaincc(a, x), rel=1e-10)


@pytest.mark.parametrize(
    ("observed", "expected"),
    [([30, 50, 20], [40, 40, 20]), ([12, 18], [15, 15]), ([5, 5, 5, 85], [25, 25, 25, 25])],
)
def test_chi_square_matches_scipy(observed: list[int], expected: list[int]) -> None:
    scipy_p = stats.chisquare(observed, expected).pvalue
    assert chi_square_p_value(observed, expected) == pytest.approx(scipy_p, rel=1e-9)


def test_a_category_the_reference_never_had_is_certain_drift() -> None:
    assert chi_square_p_value([10, 10, 1], [10.5, 10.5, 0]) == 0.0


@pytest.mark.parametrize(
    ("p", "q"), [([1, 2, 3], [3, 2, 1]), ([1, 0, 3], [0, 2, 1]), ([1, 1], [1, 1])]
)
def test_jensen_shannon_matches_scipy(p: list[int], q: list[int]) -> None:
    assert jensen_shannon_distance(p, q) == pytest.approx(distance.jensenshannon(p, q), abs=1e-12)
