"""SASRec-style Transformer sequence encoder shared by ELCRec and the contrastive baselines."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from recbole.model.layers import TransformerEncoder
from torch import nn

POSITION_ALIGNMENTS = ("start", "end")


class MaskDropout(nn.Dropout):
    """Inverted dropout by a uniform draw and one multiplication: about 2x faster than ``nn.Dropout`` on a CPU.

    PyTorch's CPU dropout draws its mask with ``bernoulli_``, a large share of an ELCRec training step
    on Beauty (``benchmarks/bench_ops.py``); the result has the same distribution (each element kept
    with probability ``1 - p`` and scaled by ``1 / (1 - p)``).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        return x * ((torch.rand_like(x) >= self.p) * (1.0 / (1.0 - self.p))).to(x.dtype)


def use_mask_dropout(module: nn.Module) -> None:
    """Replace every ``nn.Dropout`` inside ``module`` (RecBole's transformer layers) by ``MaskDropout``."""
    for name, child in module.named_children():
        if type(child) is nn.Dropout:
            setattr(module, name, MaskDropout(child.p))
        else:
            use_mask_dropout(child)


class SequenceEncoder(nn.Module):
    """Item + position embeddings, causal self-attention; returns the output at every position.

    The item table has ``n_items + 1`` rows: ids ``0..n_items-1`` are RecBole's (0 is padding) and
    ``n_items`` is the mask token used by the mask augmentation.

    Sequences are always stored left-aligned (``item_seq[i, :length[i]]``, padding after). Only the
    position embedding depends on ``position_alignment``: ``start`` gives item ``j`` of a sequence
    position ``j`` (RecBole's SASRec), ``end`` gives it ``max_seq_length - length + j``, so the most
    recent item always has the last position, as in the paper's code (and ICLRec's), which pads on the
    left. Causal attention never lets a real item see padding, so ``end`` equals the paper's
    right-aligned layout at no extra cost, and a batch may be cut to its longest sequence.
    """

    def __init__(
        self,
        n_items: int,
        max_seq_length: int,
        hidden_size: int,
        n_layers: int,
        n_heads: int,
        inner_size: int,
        hidden_dropout_prob: float,
        attn_dropout_prob: float,
        hidden_act: str,
        layer_norm_eps: float,
        initializer_range: float,
        position_alignment: str = "start",
    ) -> None:
        super().__init__()
        if position_alignment not in POSITION_ALIGNMENTS:
            raise ValueError(f"position_alignment must be one of {POSITION_ALIGNMENTS}, got {position_alignment!r}")
        self.position_alignment = position_alignment
        self.max_seq_length = max_seq_length
        self.mask_token = n_items
        self.initializer_range = initializer_range
        self.item_embedding = nn.Embedding(n_items + 1, hidden_size, padding_idx=0)
        self.position_embedding = nn.Embedding(max_seq_length, hidden_size)
        self.layer_norm = nn.LayerNorm(hidden_size, eps=layer_norm_eps)
        self.dropout = MaskDropout(hidden_dropout_prob)
        self.transformer = TransformerEncoder(
            n_layers=n_layers,
            n_heads=n_heads,
            hidden_size=hidden_size,
            inner_size=inner_size,
            hidden_dropout_prob=hidden_dropout_prob,
            attn_dropout_prob=attn_dropout_prob,
            hidden_act=hidden_act,
            layer_norm_eps=layer_norm_eps,
        )
        use_mask_dropout(self.transformer)
        self.apply(self._init_weights)

    def _init_weights(self, module: nn.Module) -> None:
        """Normal(0, initializer_range) weights, zero biases, unit LayerNorm, as in SASRec."""
        if isinstance(module, (nn.Linear, nn.Embedding)):
            module.weight.data.normal_(mean=0.0, std=self.initializer_range)
        elif isinstance(module, nn.LayerNorm):
            module.bias.data.zero_()
            module.weight.data.fill_(1.0)
        if isinstance(module, nn.Linear) and module.bias is not None:
            module.bias.data.zero_()

    @staticmethod
    def causal_attention_mask(item_seq: torch.Tensor) -> torch.Tensor:
        """Additive ``[B, 1, L, L]`` mask: a position sees itself and earlier non-padding positions."""
        not_padding = (item_seq != 0).unsqueeze(1).unsqueeze(2)  # [B, 1, 1, L]
        length = item_seq.shape[1]
        causal = torch.tril(torch.ones(length, length, dtype=torch.bool, device=item_seq.device))
        allowed = not_padding & causal  # [B, 1, L, L]
        return torch.where(allowed, 0.0, -10000.0)

    def position_ids(self, lengths: torch.Tensor, width: int) -> torch.Tensor:
        """``[B, width]`` (``end``) or ``[1, width]`` (``start``) position of every slot of left-aligned sequences."""
        positions = torch.arange(width, device=lengths.device).unsqueeze(0)  # [1, width]
        if self.position_alignment == "start":
            return positions
        shift = (self.max_seq_length - lengths).clamp(min=0).unsqueeze(1)  # [B, 1]
        return (positions + shift).clamp(max=self.max_seq_length - 1)  # padding slots: any valid index

    def forward(self, item_seq: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Encode a ``[B, l]`` batch of left-aligned item ids (``l <= max_seq_length``) into ``[B, l, H]``."""
        positions = self.position_ids(lengths, item_seq.shape[1])
        hidden = self.item_embedding(item_seq) + self.position_embedding(positions)
        hidden = self.dropout(self.layer_norm(hidden))
        return self.transformer(hidden, self.causal_attention_mask(item_seq), output_all_encoded_layers=False)[-1]

    def item_weights(self, n_items: int) -> torch.Tensor:
        """``[n_items, H]`` embeddings of the real items (the mask token excluded)."""
        return self.item_embedding.weight[:n_items]


def gather_last(hidden: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """``[B, H]`` hidden state at the last real position of each left-aligned sequence."""
    index = (lengths - 1).view(-1, 1, 1).expand(-1, 1, hidden.shape[-1])  # [B, 1, H]
    return hidden.gather(1, index).squeeze(1)


def masked_mean(hidden: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """``[B, H]`` mean of the hidden states over the real positions of each sequence."""
    valid = torch.arange(hidden.shape[1], device=hidden.device).unsqueeze(0) < lengths.unsqueeze(1)  # [B, L]
    summed = (hidden * valid.unsqueeze(-1)).sum(dim=1)
    return summed / lengths.clamp(min=1).unsqueeze(1).to(hidden.dtype)


def longest_prefix(item_seq: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """``item_seq`` cut to the batch's longest sequence (left-aligned padding after it is dropped)."""
    return item_seq[:, : int(lengths.max())]


def behaviour_embedding(hidden: torch.Tensor, lengths: torch.Tensor, mode: str, width: int) -> torch.Tensor:
    """User behaviour embedding used for clustering and contrast.

    ``last``: last real position ``[B, H]``; ``mean``: mean of real positions ``[B, H]``;
    ``concat``: the ``width`` (MAX_ITEM_LIST_LENGTH) slots flattened, padding slots zero, ``[B, width*H]``
    (ICLRec's sequence representation).
    """
    if mode == "last":
        return gather_last(hidden, lengths)
    if mode == "mean":
        return masked_mean(hidden, lengths)
    if mode == "concat":
        real = torch.arange(hidden.shape[1], device=hidden.device).unsqueeze(0) < lengths.unsqueeze(1)  # [B, l]
        padded = F.pad(hidden * real.unsqueeze(-1), (0, 0, 0, width - hidden.shape[1]))  # [B, width, H]
        return padded.reshape(hidden.shape[0], -1)  # [B, width, H] -> [B, width*H]
    raise ValueError(f"cluster_embedding must be 'mean', 'last' or 'concat', got {mode!r}")
