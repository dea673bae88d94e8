"""Output heads (forecast/models/heads.py) against their formulas written out by hand."""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest
import torch

from forecast.config import ModelConfig
from forecast.errors import ConfigError
from forecast.models.heads import (
    ClassHead,
    GaussianHead,
    PointHead,
    QuantileHead,
    StudentTHead,
    build_head,
)

B, H = 3, 4


def softplus(v: float) -> float:
    return math.log1p(math.exp(v))


def raw(p: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    out = torch.randn(B, H, p, generator=g, dtype=torch.float64)  # (B, H, P)
    return out, torch.randn(B, H, generator=g, dtype=torch.float64)  # (B, H)


def cells() -> list[tuple[int, int]]:
    return [(b, h) for b in range(B) for h in range(H)]


@pytest.mark.parametrize("loss", ["mse", "mae", "huber"])
def test_point_losses(loss: str) -> None:
    out, y = raw(1)
    terms = []
    for b, h in cells():
        e = float(y[b, h] - out[b, h, 0])
        huber = 0.5 * e * e if abs(e) <= 1 else abs(e) - 0.5
        terms.append({"mse": e * e, "mae": abs(e), "huber": huber}[loss])
    assert float(PointHead(loss).loss(out, y)) == pytest.approx(sum(terms) / len(terms), rel=1e-9)


def test_gaussian_nll() -> None:
    out, y = raw(2)
    terms = []
    for b, h in cells():
        mu, sigma = float(out[b, h, 0]), softplus(float(out[b, h, 1])) + 1e-4
        err = float(y[b, h]) - mu
        terms.append(0.5 * math.log(2 * math.pi * sigma**2) + err**2 / (2 * sigma**2))
    assert float(GaussianHead().loss(out, y)) == pytest.approx(sum(terms) / len(terms), rel=1e-9)


def test_studentt_nll() -> None:
    out, y = raw(3)
    terms = []
    for b, h in cells():
        loc = float(out[b, h, 0])
        scale = softplus(float(out[b, h, 1])) + 1e-4
        nu = softplus(float(out[b, h, 2])) + 2.0
        z = (float(y[b, h]) - loc) / scale
        log_pdf = (
            math.lgamma((nu + 1) / 2)
            - math.lgamma(nu / 2)
            - 0.5 * math.log(nu * math.pi)
            - math.log(scale)
            - (nu + 1) / 2 * math.log1p(z * z / nu)
        )
        terms.append(-log_pdf)
    assert float(StudentTHead().loss(out, y)) == pytest.approx(sum(terms) / len(terms), rel=1e-9)


def test_pinball() -> None:
    levels = (0.1, 0.5, 0.9)
    out, y = raw(3)
    terms = []
    for b, h in cells():
        for j, q in enumerate(levels):
            e = float(y[b, h] - out[b, h, j])
            terms.append(q * e if e >= 0 else (q - 1) * e)
    assert float(QuantileHead(levels).loss(out, y)) == pytest.approx(sum(terms) / len(terms), rel=1e-9)


def test_cross_entropy() -> None:
    out, _ = raw(5)
    y = torch.randint(0, 5, (B, H), generator=torch.Generator().manual_seed(1)).double()
    terms = []
    for b, h in cells():
        logits = [float(v) for v in out[b, h]]
        log_z = math.log(sum(math.exp(v) for v in logits))
        terms.append(log_z - logits[int(y[b, h])])
    assert float(ClassHead(5).loss(out, y)) == pytest.approx(sum(terms) / len(terms), rel=1e-9)


def test_gaussian_quantiles_are_the_normal_inverse_cdf() -> None:
    out, _ = raw(2)
    levels = (0.05, 0.5, 0.9)
    q = GaussianHead().quantiles(out, levels)
    for b, h in cells():
        dist = NormalDist(float(out[b, h, 0]), softplus(float(out[b, h, 1])) + 1e-4)
        for j, level in enumerate(levels):
            assert float(q[b, h, j]) == pytest.approx(dist.inv_cdf(level), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize(
    "head,p", [(GaussianHead(), 2), (StudentTHead(), 3), (QuantileHead((0.9, 0.1, 0.5, 0.3, 0.7)), 5)]
)
def test_quantiles_are_ordered(head: GaussianHead, p: int) -> None:
    out, _ = raw(p, seed=4)  # raw quantile outputs in random order: read-out sorts them
    q = head.quantiles(out, (0.1, 0.3, 0.5, 0.7, 0.9))
    assert q is not None and q.shape == (B, H, 5)
    assert bool((q.diff(dim=-1) >= 0).all())


def test_quantile_point_is_the_median_level() -> None:
    head = QuantileHead((0.1, 0.25, 0.5, 0.9))
    out = torch.tensor([[[3.0, 1.0, 2.0, 4.0]]])  # sorted: 1, 2, 3, 4 at 0.1, 0.25, 0.5, 0.9
    assert float(head.point(out)) == 3.0


def test_quantile_samples_follow_the_interpolated_quantile_function() -> None:
    head = QuantileHead((0.1, 0.5, 0.9))
    out = torch.tensor([[[1.0, -1.0, 0.0]]]).expand(20000, 1, 3)  # q0.1 = -1, q0.5 = 0, q0.9 = 1
    draws = head.sample(out, torch.Generator().manual_seed(0), 1.0)[:, 0]
    assert float((draws <= -0.5).double().mean()) == pytest.approx(0.3, abs=0.015)
    assert float((draws <= 0.0).double().mean()) == pytest.approx(0.5, abs=0.015)
    assert float(draws.min()) == -1.0 and float(draws.max()) == 1.0  # flat beyond the outer levels


@pytest.mark.parametrize(
    "head,p", [(GaussianHead(), 2), (QuantileHead((0.1, 0.5, 0.9)), 3), (ClassHead(4), 4)]
)
def test_samples_reproducible_with_a_seeded_generator(head: GaussianHead, p: int) -> None:
    out, _ = raw(p)
    a = head.sample(out, torch.Generator().manual_seed(5), 1.0)
    b = head.sample(out, torch.Generator().manual_seed(5), 1.0)
    c = head.sample(out, torch.Generator().manual_seed(6), 1.0)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(head.sample(out, None, 0.0), head.point(out))


def test_studentt_samples_reproducible_with_the_global_seed() -> None:
    out, _ = raw(3)
    head = StudentTHead()
    torch.manual_seed(5)
    a = head.sample(out, None, 1.0)
    torch.manual_seed(5)
    assert torch.equal(a, head.sample(out, None, 1.0))
    assert torch.equal(head.sample(out, None, 0.0), head.point(out))


@pytest.mark.parametrize("name,p", [("point", 1), ("gaussian", 2), ("studentt", 3), ("quantile", 4)])
def test_build_head(name: str, p: int) -> None:
    config = ModelConfig(head=name, quantiles=(0.1, 0.5, 0.9, 0.99))  # type: ignore[arg-type]
    assert build_head(config).n_params == p


def test_class_head_needs_classes() -> None:
    assert build_head(ModelConfig(head="class", n_classes=3)).n_params == 3
    with pytest.raises(ConfigError, match="categorical"):
        build_head(ModelConfig(head="class", n_classes=0))
