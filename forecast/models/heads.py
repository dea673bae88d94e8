"""Output heads: how a network's raw outputs become a loss, points, quantiles and samples.

Every head reads raw outputs ``out`` of shape (B, H, P), P = ``n_params``:

    point     P = 1      loss mse | mae | huber
    gaussian  P = 2      (mean, softplus scale), Gaussian negative log-likelihood
    studentt  P = 3      (loc, softplus scale, softplus dof + 2), Student-t NLL
    quantile  P = Q      one output per level, pinball loss, sorted at read-out
    class     P = C      logits, cross-entropy
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from forecast.config import ModelConfig
from forecast.errors import ConfigError


class Head(nn.Module):
    """Base class; parameter-free, so a head is rebuilt from the config alone."""

    n_params: int = 1
    probabilistic: bool = False

    def loss(self, out: Tensor, y: Tensor) -> Tensor:
        raise NotImplementedError

    def point(self, out: Tensor) -> Tensor:
        """(B, H, P) -> (B, H): the point forecast (mean, median or most likely class)."""
        return out[..., 0]

    def sample(self, out: Tensor, generator: torch.Generator | None, temperature: float) -> Tensor:
        """(B, H, P) -> (B, H): one draw per row; temperature 0 gives the point forecast."""
        return self.point(out)

    def quantiles(self, out: Tensor, levels: tuple[float, ...]) -> Tensor | None:
        """(B, H, P) -> (B, H, Q), or None when the head has no distribution."""
        return None


class PointHead(Head):
    def __init__(self, loss: str = "mse") -> None:
        super().__init__()
        self.loss_name = loss

    def loss(self, out: Tensor, y: Tensor) -> Tensor:
        pred = out[..., 0]  # (B, H)
        if self.loss_name == "mae":
            return F.l1_loss(pred, y)
        if self.loss_name == "huber":
            return F.huber_loss(pred, y, delta=1.0)
        return F.mse_loss(pred, y)


class GaussianHead(Head):
    n_params = 2
    probabilistic = True

    @staticmethod
    def _scale(out: Tensor) -> Tensor:
        return F.softplus(out[..., 1]) + 1e-4  # (B, H)

    def loss(self, out: Tensor, y: Tensor) -> Tensor:
        return F.gaussian_nll_loss(out[..., 0], y, self._scale(out) ** 2, full=True)

    def sample(self, out: Tensor, generator: torch.Generator | None, temperature: float) -> Tensor:
        noise = torch.randn(out.shape[:-1], generator=generator, device=out.device, dtype=out.dtype)
        return out[..., 0] + temperature * self._scale(out) * noise

    def quantiles(self, out: Tensor, levels: tuple[float, ...]) -> Tensor:
        z = torch.tensor(levels, dtype=out.dtype, device=out.device)
        z = math.sqrt(2.0) * torch.erfinv(2 * z - 1)  # (Q,)
        return out[..., :1] + self._scale(out)[..., None] * z  # (B, H, Q)


class StudentTHead(Head):
    n_params = 3
    probabilistic = True

    def _dist(self, out: Tensor) -> torch.distributions.StudentT:
        scale = F.softplus(out[..., 1]) + 1e-4
        dof = F.softplus(out[..., 2]) + 2.0
        return torch.distributions.StudentT(dof, out[..., 0], scale)

    def loss(self, out: Tensor, y: Tensor) -> Tensor:
        return -self._dist(out).log_prob(y).mean()

    def sample(self, out: Tensor, generator: torch.Generator | None, temperature: float) -> Tensor:
        """Draws use torch's global RNG (the gamma sampler takes no generator): seed it."""
        dist = self._dist(out)
        return dist.loc + temperature * (dist.sample() - dist.loc)

    def quantiles(self, out: Tensor, levels: tuple[float, ...]) -> Tensor:
        """Monte Carlo quantiles from a fixed-seed draw, so predictions are repeatable."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            draws = self._dist(out.detach().cpu()).sample((1024,))  # (S, B, H)
        q = torch.tensor(levels, dtype=draws.dtype)
        return torch.quantile(draws, q, dim=0).permute(1, 2, 0).to(out.device)  # (B, H, Q)


class QuantileHead(Head):
    probabilistic = True

    def __init__(self, levels: tuple[float, ...]) -> None:
        super().__init__()
        self.levels = tuple(sorted(levels))
        self.n_params = len(self.levels)
        self.register_buffer(
            "_levels", torch.tensor(self.levels, dtype=torch.float64), persistent=False
        )  # float64 so .to(out.dtype) keeps 0.1 exact in float64 losses

    def loss(self, out: Tensor, y: Tensor) -> Tensor:
        err = y[..., None] - out  # (B, H, Q)
        q = self._levels.to(out.dtype)
        return torch.maximum(q * err, (q - 1) * err).mean()

    def point(self, out: Tensor) -> Tensor:
        """The quantile whose level is nearest 0.5 (the median when it is a level)."""
        middle = min(range(self.n_params), key=lambda j: abs(self.levels[j] - 0.5))
        return out.sort(dim=-1).values[..., middle]

    def sample(self, out: Tensor, generator: torch.Generator | None, temperature: float) -> Tensor:
        """Inverse-CDF draw: u ~ U(0, 1), the quantile function interpolated linearly between
        the levels at u (held flat beyond the outer levels); temperature shrinks u to 0.5."""
        if temperature <= 0 or self.n_params == 1:
            return self.point(out)
        sorted_q = out.sort(dim=-1).values  # (B, H, Q)
        u = torch.rand(out.shape[:-1], generator=generator, device=out.device, dtype=out.dtype)
        u = 0.5 + temperature * (u - 0.5)  # (B, H)
        grid = self._levels.to(out.dtype)  # (Q,)
        hi = torch.searchsorted(grid, u.contiguous()).clamp(1, self.n_params - 1)  # (B, H)
        lo = hi - 1
        frac = ((u - grid[lo]) / (grid[hi] - grid[lo])).clamp(0.0, 1.0)  # (B, H)
        a = sorted_q.gather(-1, lo[..., None])[..., 0]
        b = sorted_q.gather(-1, hi[..., None])[..., 0]
        return torch.lerp(a, b, frac)  # (B, H)

    def quantiles(self, out: Tensor, levels: tuple[float, ...]) -> Tensor:
        sorted_q = out.sort(dim=-1).values
        grid = torch.tensor(self.levels, dtype=out.dtype, device=out.device)
        cols = [torch.argmin((grid - lvl).abs()) for lvl in levels]
        return sorted_q[..., torch.stack(cols)]


class ClassHead(Head):
    probabilistic = True

    def __init__(self, n_classes: int) -> None:
        super().__init__()
        self.n_params = n_classes

    def loss(self, out: Tensor, y: Tensor) -> Tensor:
        return F.cross_entropy(out.reshape(-1, self.n_params), y.reshape(-1).long())

    def point(self, out: Tensor) -> Tensor:
        return out.argmax(dim=-1).to(out.dtype)

    def sample(self, out: Tensor, generator: torch.Generator | None, temperature: float) -> Tensor:
        if temperature <= 0:
            return self.point(out)
        probs = torch.softmax(out / temperature, dim=-1).reshape(-1, self.n_params)
        draws = torch.multinomial(probs, 1, generator=generator)
        return draws.reshape(out.shape[:-1]).to(out.dtype)


def build_head(config: ModelConfig) -> Head:
    """The head a config asks for."""
    if config.head == "point":
        return PointHead(config.loss)
    if config.head == "gaussian":
        return GaussianHead()
    if config.head == "studentt":
        return StudentTHead()
    if config.head == "quantile":
        return QuantileHead(config.quantiles)
    if config.n_classes < 2:
        raise ConfigError(
            f"--head class needs a categorical target with at least 2 classes (got {config.n_classes})"
        )
    return ClassHead(config.n_classes)
