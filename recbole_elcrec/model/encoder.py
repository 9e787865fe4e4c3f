"""SASRec-style Transformer sequence encoder shared by ELCRec and the contrastive baselines."""

from __future__ import annotations

import torch
from recbole.model.layers import TransformerEncoder
from torch import nn


class SequenceEncoder(nn.Module):
    """Item + position embeddings, causal self-attention; returns the output at every position.

    The item table has ``n_items + 1`` rows: ids ``0..n_items-1`` are RecBole's (0 is padding) and
    ``n_items`` is the mask token used by the mask augmentation.
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
    ) -> None:
        super().__init__()
        self.mask_token = n_items
        self.initializer_range = initializer_range
        self.item_embedding = nn.Embedding(n_items + 1, hidden_size, padding_idx=0)
        self.position_embedding = nn.Embedding(max_seq_length, hidden_size)
        self.layer_norm = nn.LayerNorm(hidden_size, eps=layer_norm_eps)
        self.dropout = nn.Dropout(hidden_dropout_prob)
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

    def forward(self, item_seq: torch.Tensor) -> torch.Tensor:
        """Encode a ``[B, L]`` batch of item ids into ``[B, L, H]`` hidden states."""
        positions = torch.arange(item_seq.shape[1], device=item_seq.device).unsqueeze(0)
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


def behaviour_embedding(hidden: torch.Tensor, lengths: torch.Tensor, mode: str) -> torch.Tensor:
    """User behaviour embedding used for clustering and contrast.

    ``last``: last real position ``[B, H]``; ``mean``: mean of real positions ``[B, H]``;
    ``concat``: every position flattened, ``[B, L*H]`` (ICLRec's sequence representation).
    """
    if mode == "last":
        return gather_last(hidden, lengths)
    if mode == "mean":
        return masked_mean(hidden, lengths)
    if mode == "concat":
        return hidden.reshape(hidden.shape[0], -1)  # [B, L, H] -> [B, L*H]
    raise ValueError(f"cluster_embedding must be 'mean', 'last' or 'concat', got {mode!r}")
