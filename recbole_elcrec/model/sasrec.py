"""SASRec (Kang & McAuley, ICDM 2018) on this package's encoder, trainable in sequence or prefix mode."""

from __future__ import annotations

import torch

from recbole_elcrec.model.base import ContrastiveSequentialRecommender
from recbole_elcrec.model.encoder import longest_prefix


class SASRec(ContrastiveSequentialRecommender):
    """Self-attentive sequential recommendation: the shared encoder trained on the next-item loss alone.

    The same architecture as RecBole's SASRec (item + position embeddings, LayerNorm, dropout, causal
    Transformer, the item table as output layer). It replaces RecBole's SASRec by name so that every
    transformer model of a comparison shares one encoder, one position alignment and one training
    mode; with ``train_mode: prefix`` and ``position_alignment: start`` it trains as RecBole's does.
    """

    def calculate_loss(self, interaction) -> torch.Tensor:
        """``L_next_item``: CE over all items or BCE with one sampled negative, at every predicted position."""
        lengths = interaction[self.ITEM_SEQ_LEN]
        hidden = self.encoder(longest_prefix(interaction[self.ITEM_SEQ], lengths), lengths)
        return self._next_item_loss(hidden, interaction)
