"""Lesson 01's turned bowl: same curvatures and start distance as the bowl, axes turned, gradient right."""
from __future__ import annotations

import numpy as np
import pytest

from course_utils import surfaces


@pytest.mark.parametrize("degrees", [0.0, 30.0, 45.0, 90.0])
def test_rotated_bowl_keeps_curvatures_minimum_and_start_distance(degrees):
    turned, eps = surfaces.rotated_bowl(degrees), 1e-5
    hessian = np.stack([(turned.grad(e * eps) - turned.grad(-e * eps)) / (2 * eps) for e in np.eye(2)])
    np.testing.assert_allclose(np.linalg.eigvalsh(hessian), [1.0, 50.0], rtol=1e-8)
    np.testing.assert_allclose(turned.grad(np.zeros(2)), 0.0, atol=1e-12)
    assert np.linalg.norm(turned.start) == pytest.approx(np.linalg.norm(surfaces.BOWL.start))
    assert turned.loss(np.array(turned.start)) == pytest.approx(surfaces.BOWL.loss(np.array(surfaces.BOWL.start)))


def test_rotated_bowl_gradient_matches_central_differences_and_evaluates_grids():
    turned, rng, eps = surfaces.rotated_bowl(45.0), np.random.default_rng(1), 1e-6
    for w in rng.uniform(-3, 3, size=(5, 2)):
        numeric = [(turned.loss(w + e) - turned.loss(w - e)) / (2 * eps) for e in np.eye(2) * eps]
        np.testing.assert_allclose(turned.grad(w), numeric, rtol=1e-5, atol=1e-6)
    grid = rng.uniform(-2, 2, size=(2, 4, 3))
    expected = [[turned.loss(grid[:, i, j]) for j in range(3)] for i in range(4)]
    np.testing.assert_allclose(turned.loss(grid), expected)


def test_turning_the_bowl_turns_a_gradient_descent_path_and_nothing_else():
    def descend(surface, lr=0.03, steps=50):
        w = np.array(surface.start, dtype=float)
        for _ in range(steps):
            w = w - lr * surface.grad(w)
        return w

    plain, turned = descend(surfaces.BOWL), descend(surfaces.rotated_bowl(45.0))
    assert np.linalg.norm(turned) == pytest.approx(np.linalg.norm(plain), rel=1e-12)
    assert surfaces.rotated_bowl(0.0).start == pytest.approx(surfaces.BOWL.start)
