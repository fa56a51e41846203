"""Fitting the span judge (answer/judge.py) with torch, on mined candidates.

Each question's candidates are scored together: a pointwise loss (does this sentence
answer?) keeps the logits calibrated across questions, and a listwise one (softmax over
the question's candidates, all gold sentences together) teaches which of them answers.
The model is the judge's own formula, so the fitted weights are copied out as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from answer.judge import Judge
from eval.judge.mine import Mined


@dataclass
class Batch:
    q: torch.Tensor  # [B, D]
    s: torch.Tensor  # [B, C, D]
    f: torch.Tensor  # [B, C, F]
    y: torch.Tensor  # [B, C]
    mask: torch.Tensor  # [B, C]


def tensors(mined: Sequence[Mined], qvecs: np.ndarray, svecs: Sequence[np.ndarray]) -> Batch:
    """Pad every question's candidates to the longest list."""
    width = max((len(m.labels) for m in mined), default=1) or 1
    n, d, nf = len(mined), qvecs.shape[1], len(mined[0].features[0]) if mined and mined[0].features else 1
    s = np.zeros((n, width, d), dtype=np.float32)
    f = np.zeros((n, width, nf), dtype=np.float32)
    y = np.zeros((n, width), dtype=np.float32)
    mask = np.zeros((n, width), dtype=np.float32)
    for i, (m, sv) in enumerate(zip(mined, svecs)):
        k = len(m.labels)
        if k:
            s[i, :k] = sv
            f[i, :k] = m.features
            y[i, :k] = m.labels
            mask[i, :k] = 1
    return Batch(torch.from_numpy(qvecs.astype(np.float32)), *(torch.from_numpy(a) for a in (s, f, y, mask)))


class Model(nn.Module):
    def __init__(self, dim: int, n_features: int, rank: int, hidden: int, mean: np.ndarray, scale: np.ndarray):
        super().__init__()
        self.U = nn.Parameter(torch.randn(dim, max(rank, 1)) * 0.01, requires_grad=rank > 0)
        self.V = nn.Parameter(torch.randn(dim, max(rank, 1)) * 0.01 if rank else torch.zeros(dim, 1))
        self.V.requires_grad_(rank > 0)
        self.l1 = nn.Linear(n_features + 1, hidden)
        self.l2 = nn.Linear(hidden, 1)
        self.mean: torch.Tensor
        self.scale: torch.Tensor
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("scale", torch.tensor(scale, dtype=torch.float32))

    def forward(self, b: Batch) -> torch.Tensor:
        bilinear = ((b.s @ self.U) * (b.q @ self.V)[:, None, :]).sum(-1, keepdim=True)
        x = torch.cat([(b.f - self.mean) / self.scale, bilinear], dim=-1)
        return self.l2(torch.relu(self.l1(x))).squeeze(-1)

    def to_judge(self, trained: dict[str, Any]) -> Judge:
        def a(t: torch.Tensor) -> np.ndarray:
            return t.detach().double().numpy()

        return Judge(
            a(self.mean),
            a(self.scale),
            a(self.U),
            a(self.V),
            a(self.l1.weight).T.copy(),
            a(self.l1.bias),
            a(self.l2.weight)[0].copy(),
            float(self.l2.bias.item()),
            trained,
        )


def loss_of(model: Model, b: Batch, listwise: float) -> torch.Tensor:
    z = model(b)
    point = (nn.functional.binary_cross_entropy_with_logits(z, b.y, reduction="none") * b.mask).sum() / b.mask.sum()
    has = b.y.sum(1) > 0
    if not listwise or not has.any():
        return point
    zm = z.masked_fill(b.mask == 0, -1e4)
    log_all = torch.logsumexp(zm, dim=1)
    log_pos = torch.logsumexp(zm.masked_fill(b.y == 0, -1e4), dim=1)
    return point + listwise * (log_all - log_pos)[has].mean()


def fit(
    mined: Sequence[Mined],
    qvecs: np.ndarray,
    svecs: Sequence[np.ndarray],
    rank: int = 16,
    hidden: int = 32,
    epochs: int = 60,
    batch: int = 64,
    lr: float = 2e-3,
    listwise: float = 1.0,
    seed: int = 0,
) -> Model:
    """The judge fitted on ``mined`` (question vectors ``qvecs``, each question's candidate
    sentence vectors ``svecs``)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    feats = np.array([f for m in mined for f in m.features], dtype=np.float64)
    mean, scale = feats.mean(0), feats.std(0) + 1e-6
    data = tensors(mined, qvecs, svecs)
    model = Model(qvecs.shape[1], feats.shape[1], rank, hidden, mean, scale)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=1e-5)
    n = len(mined)
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(n))
        for i in range(0, n, batch):
            idx = order[i : i + batch]
            b = Batch(data.q[idx], data.s[idx], data.f[idx], data.y[idx], data.mask[idx])
            opt.zero_grad()
            loss_of(model, b, listwise).backward()
            opt.step()
    model.eval()
    return model


def predict(judge: Judge, mined: Sequence[Mined], qvecs: np.ndarray, svecs: Sequence[np.ndarray]) -> np.ndarray:
    """Logits of every candidate of ``mined``, in order, with the numpy judge."""
    out = [
        judge.logits(q.astype(np.float64), np.asarray(s, dtype=np.float64), np.array(m.features))
        for m, q, s in zip(mined, qvecs, svecs)
        if m.labels
    ]
    return np.concatenate(out) if out else np.zeros(0)
