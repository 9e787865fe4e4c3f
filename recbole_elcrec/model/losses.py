"""ELCRec's losses: cluster loss (Eq. 3), nearest-centre lookup (Eq. 5) and InfoNCE (Eqs. 4 and 6)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def cluster_loss(embeddings: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """End-to-end learnable cluster loss, Eq. 3, on l2-normalised embeddings and centres.

    ``-(1/(k(k-1))) sum_{i!=j} ||c_i - c_j||^2 + (1/(bk)) sum_i sum_j ||h_i - c_j||^2``

    For unit vectors ``||a - b||^2 = 2 - 2 a.b``, so both sums reduce to dot products of the
    column sums: O((b + k) d) time and memory instead of O(bkd), exactly equal to the pairwise form.

    Args:
        embeddings: ``[b, d]`` user behaviour embeddings of the batch.
        centres: ``[k, d]`` cluster centres, ``k >= 2``.
    """
    b, k = embeddings.shape[0], centres.shape[0]
    if k < 2:
        raise ValueError(f"the cluster loss needs at least 2 centres, got k={k}")
    h = F.normalize(embeddings, dim=-1)
    c = F.normalize(centres, dim=-1)
    h_sum = h.sum(dim=0)  # [d]
    c_sum = c.sum(dim=0)  # [d]
    # sum_{i != j} c_i.c_j = ||sum c||^2 - sum_i ||c_i||^2 = ||sum c||^2 - k
    centre_dot_off_diagonal = c_sum.dot(c_sum) - k
    centre_separation = (2.0 * k * (k - 1) - 2.0 * centre_dot_off_diagonal) / (k * (k - 1))
    embedding_to_centre = (2.0 * b * k - 2.0 * h_sum.dot(c_sum)) / (b * k)
    return -centre_separation + embedding_to_centre


CE_CHUNK_ROWS = 32  # rows of logits per chunk: [32, n_items] stays in cache (fastest on the 2-core CPU)


class _ChunkedLinearCrossEntropy(torch.autograd.Function):
    """``sum_i w_i CE_i`` over the rows of ``hidden @ weight.T``, computed ``CE_CHUNK_ROWS`` rows at a time.

    The full ``[N, n_items]`` logits are never written to memory: each chunk's logits, its share of
    the loss and both gradients are computed while the chunk is in cache, in the forward pass, and
    backward only scales the stored gradients. Same value and gradients as
    ``(F.cross_entropy(hidden @ weight.T, targets, reduction="none") * row_weights).sum()``; about twice
    as fast on a CPU, where the logits' memory traffic, not the arithmetic, bounds the plain form.
    """

    @staticmethod
    def forward(ctx, hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor,
                row_weights: torch.Tensor) -> torch.Tensor:
        grad_hidden = torch.empty_like(hidden)
        grad_weight = torch.zeros_like(weight)
        total = hidden.new_zeros(())
        with torch.autocast(hidden.device.type, enabled=False):  # float32 throughout, whatever the run's amp_dtype
            _accumulate_chunks(hidden, weight, targets, row_weights, total, grad_hidden, grad_weight)
        ctx.save_for_backward(grad_hidden, grad_weight)
        return total

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, None, None]:
        grad_hidden, grad_weight = ctx.saved_tensors
        return grad_hidden * grad_output, grad_weight * grad_output, None, None


def _accumulate_chunks(hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor, row_weights: torch.Tensor,
                       total: torch.Tensor, grad_hidden: torch.Tensor, grad_weight: torch.Tensor) -> None:
    """Add each chunk's weighted loss to ``total`` and its weighted gradients to ``grad_hidden``/``grad_weight``."""
    for start in range(0, hidden.shape[0], CE_CHUNK_ROWS):
        rows = hidden[start : start + CE_CHUNK_ROWS]  # [c, H]
        target = targets[start : start + CE_CHUNK_ROWS]  # [c]
        row_weight = row_weights[start : start + CE_CHUNK_ROWS]  # [c]
        logits = rows @ weight.T  # [c, n_items]
        log_norm = torch.logsumexp(logits, dim=-1)  # [c]
        total += ((log_norm - logits.gather(1, target.unsqueeze(1)).squeeze(1)) * row_weight).sum()
        residual = logits.sub_(log_norm.unsqueeze(1)).exp_()  # softmax, in place
        residual[torch.arange(len(target), device=target.device), target] -= 1.0  # softmax - one-hot
        residual.mul_(row_weight.unsqueeze(1))
        grad_hidden[start : start + CE_CHUNK_ROWS] = residual @ weight
        grad_weight.addmm_(residual.T, rows)


def mean_weights(rows: torch.Tensor) -> torch.Tensor:
    """``[N]`` weights ``1/N``: a weighted sum with them is the plain mean over the ``N`` rows."""
    return rows.new_full((rows.shape[0],), 1.0 / max(rows.shape[0], 1), dtype=torch.float32)


def full_cross_entropy(hidden: torch.Tensor, item_weights: torch.Tensor, targets: torch.Tensor,
                       row_weights: torch.Tensor | None = None) -> torch.Tensor:
    """Softmax cross-entropy over all items, ``sum_i w_i CE_i`` (the mean when ``row_weights`` is None).

    ``hidden`` ``[N, H]``, ``item_weights`` ``[n_items, H]``, ``targets`` ``[N]``, ``row_weights`` ``[N]``.
    """
    row_weights = mean_weights(hidden) if row_weights is None else row_weights.float()
    if not torch.is_grad_enabled() or not (hidden.requires_grad or item_weights.requires_grad):
        return (F.cross_entropy(hidden @ item_weights.T, targets, reduction="none") * row_weights).sum()
    return _ChunkedLinearCrossEntropy.apply(hidden.float(), item_weights.float(), targets, row_weights)


def next_item_loss(seq_output: torch.Tensor, item_weights: torch.Tensor, pos_items: torch.Tensor,
                   loss_type: str, row_weights: torch.Tensor | None = None) -> torch.Tensor:
    """Next-item loss: full-softmax cross-entropy (``CE``) or ``BCE`` with one uniform negative per target.

    ``seq_output`` is ``[N, H]`` (one row per predicted position), ``item_weights`` ``[n_items, H]`` (id 0 is
    padding, never sampled), ``pos_items`` ``[N]``. The loss is ``sum_i w_i loss_i`` with ``row_weights``
    ``[N]``, the mean over the rows when None.
    """
    if loss_type == "CE":
        return full_cross_entropy(seq_output, item_weights, pos_items, row_weights)
    row_weights = mean_weights(seq_output) if row_weights is None else row_weights
    neg_items = torch.randint(1, item_weights.shape[0], pos_items.shape, device=pos_items.device)
    pos_logits = (seq_output * item_weights[pos_items]).sum(-1)
    neg_logits = (seq_output * item_weights[neg_items]).sum(-1)
    return ((F.softplus(-pos_logits) + F.softplus(neg_logits)) * row_weights).sum()


def nearest_centre(embeddings: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """Index of the nearest centre for every embedding, Eq. 5 (cosine similarity on the unit sphere).

    Returns a ``[b]`` long tensor; no gradient flows through the assignment.
    """
    with torch.no_grad():
        similarity = F.normalize(embeddings, dim=-1) @ F.normalize(centres, dim=-1).T  # [b, k]
        return similarity.argmax(dim=-1)


def fuse_intent(embeddings: torch.Tensor, centres: torch.Tensor, assignment: torch.Tensor, mode: str,
                unit_embeddings: bool = True) -> torch.Tensor:
    """Intent-assisted representation: the view embedding fused with its assigned centre.

    ``shift`` adds the unit centre to the embedding (``h + c``, ``[b, d]``); ``concat`` concatenates
    them (``[b, 2d]``). The embedding is l2-normalised first when ``unit_embeddings``, else taken as
    the encoder gives it (the authors' code). The centre keeps its gradient, so the contrastive loss
    also moves the centres.
    """
    h = F.normalize(embeddings, dim=-1) if unit_embeddings else embeddings
    c = F.normalize(centres, dim=-1)[assignment]  # [b, d]
    if mode == "shift":
        return h + c
    if mode == "concat":
        return torch.cat([h, c], dim=-1)
    raise ValueError(f"intent_fusion must be 'shift' or 'concat', got {mode!r}")


def sequence_info_nce(view_a: torch.Tensor, view_b: torch.Tensor, temperature: float) -> torch.Tensor:
    """Sequence-level InfoNCE between two views with in-batch negatives, Eq. 4.

    Each of the ``2b`` representations has its other view as positive and the ``2b - 2``
    remaining representations of the batch as negatives (dot-product similarity over
    ``temperature``); the loss is the mean cross-entropy over all ``2b`` anchors.
    """
    b = view_a.shape[0]
    z = torch.cat([view_a, view_b], dim=0)  # [2b, d]
    logits = (z @ z.T) / temperature  # [2b, 2b]
    self_mask = torch.eye(2 * b, dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(self_mask, float("-inf"))
    positives = torch.cat([torch.arange(b, 2 * b), torch.arange(0, b)]).to(z.device)
    return F.cross_entropy(logits, positives)


def intent_info_nce(
    view_a: torch.Tensor, view_b: torch.Tensor, centres: torch.Tensor, assignment: torch.Tensor, temperature: float
) -> torch.Tensor:
    """Intent-level InfoNCE between each view and the cluster centres, Eq. 6.

    The positive of a view is the centre assigned to its sequence; the other ``k - 1`` centres
    are the negatives. Cosine similarity over ``temperature``; the two views' losses are averaged.
    """
    c = F.normalize(centres, dim=-1)
    logits_a = F.normalize(view_a, dim=-1) @ c.T / temperature  # [b, k]
    logits_b = F.normalize(view_b, dim=-1) @ c.T / temperature  # [b, k]
    return 0.5 * (F.cross_entropy(logits_a, assignment) + F.cross_entropy(logits_b, assignment))
