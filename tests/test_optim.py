"""forecast.optim.Adam: the same updates as torch.optim.Adam, without importing torch._dynamo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from forecast.optim import Adam

ROOT = Path(__file__).resolve().parent.parent


class Tiny(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = torch.nn.LSTM(3, 8, num_layers=2, batch_first=True)
        self.out = torch.nn.Linear(8, 2)
        self.unused = torch.nn.Linear(2, 2)  # never gets a gradient, as torch skips it

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.lstm(x)[0][:, -1])


@pytest.mark.parametrize("weight_decay", [0.0, 1e-2])
def test_same_weights_as_torch_adam_step_for_step(weight_decay: float, device: str = "cpu") -> None:
    torch.manual_seed(0)
    ours_net = Tiny().to(device)
    theirs_net = Tiny().to(device)
    theirs_net.load_state_dict(ours_net.state_dict())
    ours = Adam(ours_net.parameters(), lr=3e-3, weight_decay=weight_decay)
    theirs = torch.optim.Adam(theirs_net.parameters(), lr=3e-3, weight_decay=weight_decay)
    gen = torch.Generator().manual_seed(1)
    for _ in range(50):
        x, y = torch.randn(16, 10, 3, generator=gen).to(device), torch.randn(16, 2, generator=gen).to(device)
        for net, opt in ((ours_net, ours), (theirs_net, theirs)):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(net(x), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
    for (name, a), b in zip(ours_net.state_dict().items(), theirs_net.state_dict().values()):
        assert torch.equal(a, b), name  # bit-identical, not just close
    state = theirs.state[theirs_net.out.weight]
    k = next(i for i, p in enumerate(ours.params) if p is ours_net.out.weight)
    assert torch.equal(ours.exp_avg_sqs[k], state["exp_avg_sq"]) and float(ours.steps[k]) == 50
    assert float(ours.steps[-1]) == 0 and theirs_net.unused.bias not in theirs.state  # never stepped


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_same_weights_as_torch_adam_on_cuda() -> None:
    """On CUDA both take torch's foreach kernels."""
    test_same_weights_as_torch_adam_step_for_step(1e-2, device="cuda")


def test_training_does_not_import_the_compiler() -> None:
    code = (
        "import sys, numpy as np\n"
        "from forecast.config import TrainConfig, ModelConfig\n"
        "from forecast.models.registry import build_model\n"
        "from forecast.train import train_network\n"
        "net = build_model(ModelConfig(name='lstm', hidden=8, layers=1, n_features=1, horizon=2))\n"
        "x = np.random.default_rng(0).normal(size=(40, 6, 1)); y = x[:, :2, 0]\n"
        "train_network(net, x[:30], y[:30], x[30:], y[30:], TrainConfig(epochs=2))\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip().splitlines()[-1] == "False"
