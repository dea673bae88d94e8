"""Hand-written recurrent layers (forecast/models/cells.py) against the equations and torch."""

from __future__ import annotations

import math

import pytest
import torch
from torch import Tensor, nn

from forecast.models.cells import IndRNN, PeepholeLSTM, peephole_from_lstm

LAYOUTS = [(1, False), (2, False), (1, True), (2, True)]  # (num_layers, bidirectional)


def _randomise(model: nn.Module, scale: float = 0.5) -> nn.Module:
    """Weights of order one so every term (peepholes included) visibly matters."""
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, scale)
    return model


def _ref_peephole(model: PeepholeLSTM, x: Tensor, h0: Tensor, c0: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """The Gers & Schmidhuber equations, step by step, with explicit matrices."""
    sig = torch.sigmoid
    D, L = 2 if model.bidirectional else 1, x.shape[1]
    layer_in, h_n, c_n = x, [], []
    for layer in range(model.num_layers):
        outs = []
        for d in range(D):
            k = layer * D + d
            cell = model.cells[k]
            n_in = layer_in.shape[2]
            W = {name: getattr(cell, f"{name}_gate").weight for name in ("input", "forget", "cell", "output")}
            b = {name: getattr(cell, f"{name}_gate").bias for name in ("input", "forget", "cell", "output")}
            Wx = {name: w[:, :n_in] for name, w in W.items()}
            Wh = {name: w[:, n_in:] for name, w in W.items()}
            h, c, out = h0[k], c0[k], [None] * L
            for t in range(L) if d == 0 else reversed(range(L)):
                x_t = layer_in[:, t]
                i = sig(x_t @ Wx["input"].T + h @ Wh["input"].T + cell.peep_input * c + b["input"])
                f = sig(x_t @ Wx["forget"].T + h @ Wh["forget"].T + cell.peep_forget * c + b["forget"])
                g = torch.tanh(x_t @ Wx["cell"].T + h @ Wh["cell"].T + b["cell"])
                c = f * c + i * g
                o = sig(x_t @ Wx["output"].T + h @ Wh["output"].T + cell.peep_output * c + b["output"])
                h = o * torch.tanh(c)
                out[t] = h
            outs.append(torch.stack(out, 1))
            h_n.append(h)
            c_n.append(c)
        layer_in = torch.cat(outs, -1)
    return layer_in, torch.stack(h_n), torch.stack(c_n)


def _ref_indrnn(model: IndRNN, x: Tensor, h0: Tensor) -> tuple[Tensor, Tensor]:
    """h_t = phi(W x_t + clamp(u, -2^(1/T), 2^(1/T)) * h_{t-1} + b), step by step."""
    phi = torch.relu if model.nonlinearity == "relu" else torch.tanh
    u_max = 2.0 ** (1.0 / model.max_len)
    D, L = 2 if model.bidirectional else 1, x.shape[1]
    layer_in, h_n = x, []
    for layer in range(model.num_layers):
        outs = []
        for d in range(D):
            k = layer * D + d
            cell = model.cells[k]
            W, b = cell.input_map.weight, cell.input_map.bias
            u = cell.recurrent_weight.clamp(-u_max, u_max)
            h, out = h0[k], [None] * L
            for t in range(L) if d == 0 else reversed(range(L)):
                h = phi(layer_in[:, t] @ W.T + u * h + b)
                out[t] = h
            outs.append(torch.stack(out, 1))
            h_n.append(h)
        layer_in = torch.cat(outs, -1)
    return layer_in, torch.stack(h_n)


@pytest.mark.parametrize(("num_layers", "bidirectional"), LAYOUTS)
def test_peephole_matches_equations(num_layers: int, bidirectional: bool) -> None:
    torch.manual_seed(0)
    model = _randomise(PeepholeLSTM(3, 5, num_layers, bidirectional=bidirectional).double())
    n = num_layers * (2 if bidirectional else 1)
    x = torch.randn(4, 9, 3, dtype=torch.float64)
    h0, c0 = torch.randn(n, 4, 5, dtype=torch.float64), torch.randn(n, 4, 5, dtype=torch.float64)
    out, (h, c) = model(x, (h0, c0))
    ref_out, ref_h, ref_c = _ref_peephole(model, x, h0, c0)
    assert out.shape == (4, 9, 5 * (2 if bidirectional else 1)) and h.shape == c.shape == (n, 4, 5)
    torch.testing.assert_close(out, ref_out, atol=1e-10, rtol=0)
    torch.testing.assert_close(h, ref_h, atol=1e-10, rtol=0)
    torch.testing.assert_close(c, ref_c, atol=1e-10, rtol=0)
    zero = torch.zeros(n, 4, 5, dtype=torch.float64)  # state=None means zeros
    torch.testing.assert_close(model(x)[0], _ref_peephole(model, x, zero, zero)[0], atol=1e-10, rtol=0)


@pytest.mark.parametrize("nonlinearity", ["relu", "tanh"])
@pytest.mark.parametrize(("num_layers", "bidirectional"), LAYOUTS)
def test_indrnn_matches_equations(num_layers: int, bidirectional: bool, nonlinearity: str) -> None:
    torch.manual_seed(1)
    model = IndRNN(3, 5, num_layers, bidirectional=bidirectional, nonlinearity=nonlinearity, max_len=8)
    model = _randomise(model, scale=0.8).double()  # some |u| beyond 2^(1/8): the clamp is exercised
    n = num_layers * (2 if bidirectional else 1)
    x = torch.randn(4, 9, 3, dtype=torch.float64)
    h0 = torch.randn(n, 4, 5, dtype=torch.float64).abs()
    out, h = model(x, h0)
    ref_out, ref_h = _ref_indrnn(model, x, h0)
    assert out.shape == (4, 9, 5 * (2 if bidirectional else 1)) and h.shape == (n, 4, 5)
    torch.testing.assert_close(out, ref_out, atol=1e-10, rtol=0)
    torch.testing.assert_close(h, ref_h, atol=1e-10, rtol=0)


@pytest.mark.parametrize(("num_layers", "bidirectional"), [(1, False), (2, True)])
def test_peephole_with_zero_peepholes_is_torch_lstm(num_layers: int, bidirectional: bool) -> None:
    torch.manual_seed(2)
    lstm = nn.LSTM(4, 6, num_layers, batch_first=True, bidirectional=bidirectional)
    model = peephole_from_lstm(lstm)
    n = num_layers * (2 if bidirectional else 1)
    x = torch.randn(3, 11, 4, requires_grad=True)
    state = (torch.randn(n, 3, 6), torch.randn(n, 3, 6))
    out, (h, c) = model(x, state)
    ref_out, (ref_h, ref_c) = lstm(x, state)
    for got, want in ((out, ref_out), (h, ref_h), (c, ref_c)):
        torch.testing.assert_close(got, want, atol=1e-6, rtol=0)
    (g,) = torch.autograd.grad(out.sum() + c.sum(), x)
    (ref_g,) = torch.autograd.grad(ref_out.sum() + ref_c.sum(), x)
    torch.testing.assert_close(g, ref_g, atol=1e-5, rtol=0)


def test_indrnn_constraint_bounds_recurrent_weights_and_gradients() -> None:
    torch.manual_seed(3)
    T = 200
    model = IndRNN(1, 4, max_len=T).double()
    with torch.no_grad():
        model.cells[0].recurrent_weight.copy_(torch.tensor([10.0, -10.0, 50.0, 0.5]))
        model.cells[0].input_map.weight.fill_(1.0)
        model.cells[0].input_map.bias.zero_()
    u_max = 2.0 ** (1.0 / T)
    u_eff = model.cells[0].effective_recurrent_weight()
    assert u_eff.abs().max().item() <= u_max + 1e-15
    torch.testing.assert_close(u_eff, torch.tensor([u_max, -u_max, u_max, 0.5], dtype=torch.float64))
    # With W = 1, b = 0 and positive inputs the relu stays active on unit 0:
    # d h_T / d x_1 = u_eff ** (T - 1) = 2 ** ((T - 1) / T) < 2; unclamped it would be 10 ** 199.
    x = torch.full((2, T, 1), 0.01, dtype=torch.float64, requires_grad=True)
    out, _ = model(x)
    (g,) = torch.autograd.grad(out[:, -1, 0].sum(), x)
    assert math.isclose(g[0, 0, 0].item(), 2.0 ** ((T - 1) / T), rel_tol=1e-9)


@pytest.mark.parametrize("nonlinearity", ["relu", "tanh"])
def test_indrnn_gradients_flow_over_long_sequences(nonlinearity: str) -> None:
    torch.manual_seed(4)
    model = IndRNN(3, 16, num_layers=2, nonlinearity=nonlinearity, max_len=200)
    with torch.no_grad():
        for cell in model.cells:
            cell.recurrent_weight.fill_(100.0)  # far beyond the bound
    x = torch.randn(8, 200, 3, requires_grad=True)
    out, h = model(x)
    (out[:, -1].pow(2).mean() + h.mean()).backward()
    grads = [x.grad] + [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert x.grad[:, 0].abs().sum() > 0  # the first step still influences the last output
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("cls", [PeepholeLSTM, IndRNN])
def test_dropout_only_between_layers_and_only_in_training(cls: type[nn.Module]) -> None:
    torch.manual_seed(5)
    x = torch.randn(4, 6, 3)
    model = cls(3, 8, num_layers=2, dropout=0.5)
    model.eval()
    torch.testing.assert_close(model(x)[0], model(x)[0], atol=0, rtol=0)
    eval_out = model(x)[0]
    model.train()
    a, b = model(x)[0], model(x)[0]
    assert not torch.allclose(a, b) and not torch.allclose(a, eval_out)
    single = cls(3, 8, num_layers=1, dropout=0.5)  # nothing after the last layer
    torch.testing.assert_close(single.train()(x)[0], single.eval()(x)[0], atol=0, rtol=0)


@pytest.mark.parametrize("cls", [PeepholeLSTM, IndRNN])
def test_state_carries_over_and_batch_first_false(cls: type[nn.Module]) -> None:
    torch.manual_seed(6)
    model = cls(3, 5, num_layers=2)
    x = torch.randn(2, 10, 3)
    full, state = model(x)
    first, mid = model(x[:, :4])
    second, state2 = model(x[:, 4:], mid)
    torch.testing.assert_close(torch.cat([first, second], 1), full, atol=1e-6, rtol=0)
    as_tuple = (lambda s: s if isinstance(s, tuple) else (s,))  # noqa: E731
    for s, s2 in zip(as_tuple(state), as_tuple(state2)):
        torch.testing.assert_close(s, s2, atol=1e-6, rtol=0)
    time_major = cls(3, 5, num_layers=2, batch_first=False)
    time_major.load_state_dict(model.state_dict())
    torch.testing.assert_close(time_major(x.transpose(0, 1))[0].transpose(0, 1), full, atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match="state shape"):
        model(x, torch.zeros(1, 2, 5) if cls is IndRNN else (torch.zeros(1, 2, 5),) * 2)


def _gradcheck_model(model: nn.Module, x: Tensor, state: tuple[Tensor, ...]) -> bool:
    """gradcheck w.r.t. the input, the initial state and every parameter."""
    names = [name for name, _ in model.named_parameters()]
    params = [p.detach().clone().requires_grad_() for p in model.parameters()]

    def fn(x: Tensor, *rest: Tensor) -> tuple[Tensor, ...]:
        st, ps = rest[: len(state)], rest[len(state) :]
        call_state = st if len(st) == 2 else st[0]
        out, final = torch.func.functional_call(model, dict(zip(names, ps)), (x, call_state))
        return (out, *(final if isinstance(final, tuple) else (final,)))

    return torch.autograd.gradcheck(fn, (x, *state, *params), eps=1e-6, atol=1e-6)


def test_peephole_gradcheck() -> None:
    torch.manual_seed(7)
    model = _randomise(PeepholeLSTM(2, 3, num_layers=2, bidirectional=True)).double()
    x = torch.randn(2, 4, 2, dtype=torch.float64, requires_grad=True)
    state = tuple(torch.randn(4, 2, 3, dtype=torch.float64, requires_grad=True) for _ in range(2))
    assert _gradcheck_model(model, x, state)


@pytest.mark.parametrize("nonlinearity", ["relu", "tanh"])
def test_indrnn_gradcheck(nonlinearity: str) -> None:
    torch.manual_seed(8)
    model = IndRNN(2, 3, num_layers=2, bidirectional=True, nonlinearity=nonlinearity).double()
    x = torch.randn(2, 4, 2, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(4, 2, 3, dtype=torch.float64, requires_grad=True)
    assert _gradcheck_model(model, x, (h0,))


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")
@pytest.mark.parametrize("cls", [PeepholeLSTM, IndRNN])
def test_cuda_matches_cpu(cls: type[nn.Module]) -> None:
    torch.manual_seed(9)
    cpu = cls(3, 8, num_layers=2, bidirectional=True).double()
    gpu = cls(3, 8, num_layers=2, bidirectional=True).double().cuda()
    gpu.load_state_dict(cpu.state_dict())
    x = torch.randn(4, 12, 3, dtype=torch.float64)
    x_cpu, x_gpu = x.clone().requires_grad_(), x.cuda().requires_grad_()
    out_cpu, _ = cpu(x_cpu)
    out_gpu, _ = gpu(x_gpu)
    assert out_gpu.device.type == "cuda"
    torch.testing.assert_close(out_gpu.cpu(), out_cpu, atol=1e-9, rtol=0)
    out_cpu.pow(2).sum().backward()
    out_gpu.pow(2).sum().backward()
    torch.testing.assert_close(x_gpu.grad.cpu(), x_cpu.grad, atol=1e-9, rtol=0)
    for p_cpu, p_gpu in zip(cpu.parameters(), gpu.parameters()):
        torch.testing.assert_close(p_gpu.grad.cpu(), p_cpu.grad, atol=1e-9, rtol=0)
