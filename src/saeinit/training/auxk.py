"""The AuxK loss of Gao et al. (2024), as SAELens' TopK training SAE computes it: the latents
that have not fired for a while (dead) get a reconstruction task of their own, the residual
the live latents leave, through their top d/2 pre-activations on each sample. A dead latent
then gets gradients (on its encoder column, bias and atom) towards what the SAE misses, where
the main loss gives it none. The term is an MSE like the main loss, weighted by
--auxk-coefficient, and scaled down by dead / (d/2) when fewer latents than that are dead."""

from __future__ import annotations

import torch

from saeinit.models import SAE
from saeinit.models.base import ForwardOutput


class AuxK:
    """Counts, per latent, the training samples since it last fired, and computes the AuxK
    term for a batch from the latents dead before that batch."""

    def __init__(self, model: SAE, coefficient: float, dead_samples: int):
        self.coefficient, self.dead_samples = coefficient, dead_samples
        self.k_aux = max(model.d_in // 2, 1)
        self.since_fired = torch.zeros(model.d_sae, dtype=torch.long, device=model.W_dec.device)

    def dead(self) -> torch.Tensor:
        """Boolean mask of the latents silent for --auxk-dead-samples samples or more."""
        return self.since_fired >= self.dead_samples

    def update(self, acts: torch.Tensor) -> None:
        """Count a training batch's samples; latents that fired on it start again at 0."""
        self.since_fired += len(acts)
        self.since_fired[(acts > 0).any(dim=0)] = 0

    def loss(self, model: SAE, x: torch.Tensor, out: ForwardOutput) -> torch.Tensor | None:
        """The weighted AuxK term for batch `x` and its forward pass `out`, or None when no
        latent is dead."""
        dead = self.dead()
        n_dead = int(dead.sum())
        if n_dead == 0:
            return None
        k = min(self.k_aux, n_dead)
        ranked = torch.where(dead, out.pre_acts, -torch.inf).topk(k, dim=1)
        acts = torch.zeros_like(out.pre_acts).scatter(1, ranked.indices, ranked.values)
        residual = (x - out.x_hat).detach()
        error = (acts @ model.W_dec - residual).pow(2).mean()
        return self.coefficient * min(n_dead / self.k_aux, 1.0) * error
