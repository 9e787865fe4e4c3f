"""CL4SRec: contrastive learning for sequential recommendation (Xie et al., ICDE 2022)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from recbole_elcrec.losses import sequence_info_nce
from recbole_elcrec.model.base import ContrastiveSequentialRecommender


class CL4SRec(ContrastiveSequentialRecommender):
    """SASRec plus sequence-level InfoNCE between two crop/mask/reorder views of each sequence.

    ``L_next_item + cl_weight * L_seq_cl``; the views, the encoder and InfoNCE (Eq. 4 of ELCRec,
    the same form as CL4SRec's) are shared with ELCRec.
    """

    LOSS_TERMS = ("next_item", "seq_cl")

    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        self.cl_weight = float(config["cl_weight"])
        self.temperature = float(config["temperature"])

    def calculate_loss(self, interaction) -> tuple[torch.Tensor, torch.Tensor]:
        """The weighted terms, in the order of ``LOSS_TERMS``."""
        seq_output, _, view_a, view_b = self._encode_views(interaction[self.ITEM_SEQ], interaction[self.ITEM_SEQ_LEN])
        next_item = self._next_item_loss(seq_output, interaction[self.POS_ITEM_ID])
        seq_cl = sequence_info_nce(F.normalize(view_a, dim=-1), F.normalize(view_b, dim=-1), self.temperature)
        return next_item, self.cl_weight * seq_cl
