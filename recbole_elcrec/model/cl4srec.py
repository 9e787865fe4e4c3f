"""CL4SRec: contrastive learning for sequential recommendation (Xie et al., ICDE 2022)."""

from __future__ import annotations

import torch

from recbole_elcrec.model.base import ContrastiveSequentialRecommender
from recbole_elcrec.model.losses import sequence_info_nce


class CL4SRec(ContrastiveSequentialRecommender):
    """SASRec plus sequence-level InfoNCE between two crop/mask/reorder views of each sequence.

    ``L = L_next_item + cl_weight * L_seq_cl``, CL4SRec's multi-task objective. ``L_seq_cl`` is CL4SRec's
    NT-Xent loss (in-batch negatives, dot-product similarity), i.e. ELCRec's Eq. 4 without intent fusion;
    encoder, crop/mask/reorder augmentations and next-item loss are shared with ELCRec.
    """

    LOSS_TERMS = ("next_item", "seq_cl")

    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        self.cl_weight = float(config["cl_weight"])
        self.temperature = float(config["temperature"])

    def calculate_loss(self, interaction) -> tuple[torch.Tensor, torch.Tensor]:
        """The weighted terms, in the order of ``LOSS_TERMS``; RecBole's trainer sums them."""
        hidden, _, view_a, view_b = self._encode_views(interaction)
        next_item = self._next_item_loss(hidden, interaction)
        return next_item, self.cl_weight * sequence_info_nce(view_a, view_b, self.temperature)
