"""Shared base of the contrastive sequential models: encoder, views, next-item loss and scoring."""

from __future__ import annotations

import torch
from recbole.model.abstract_recommender import SequentialRecommender

from recbole_elcrec.model.augmentations import random_augment
from recbole_elcrec.model.encoder import SequenceEncoder, behaviour_embedding, gather_last
from recbole_elcrec.model.losses import next_item_loss

NEXT_ITEM_LOSSES = ("CE", "BCE")


class ContrastiveSequentialRecommender(SequentialRecommender):
    """A SASRec-style encoder trained on next-item prediction plus contrast between augmented views.

    Subclasses (ELCRec, CL4SRec, ICLRec) add their own terms in ``calculate_loss`` and name them
    in ``LOSS_TERMS``.
    """

    LOSS_TERMS: tuple[str, ...] = ("next_item",)

    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        self.loss_type = config["loss_type"]
        if self.loss_type not in NEXT_ITEM_LOSSES:
            raise ValueError(f"loss_type must be one of {NEXT_ITEM_LOSSES}, got {self.loss_type!r}")
        self.cluster_embedding = config["cluster_embedding"] or "mean"
        self.augmentation_ratios = (config["crop_ratio"], config["mask_ratio"], config["reorder_ratio"])
        self.encoder = SequenceEncoder(
            n_items=self.n_items,
            max_seq_length=self.max_seq_length,
            hidden_size=config["hidden_size"],
            n_layers=config["n_layers"],
            n_heads=config["n_heads"],
            inner_size=config["inner_size"],
            hidden_dropout_prob=config["hidden_dropout_prob"],
            attn_dropout_prob=config["attn_dropout_prob"],
            hidden_act=config["hidden_act"],
            layer_norm_eps=config["layer_norm_eps"],
            initializer_range=config["initializer_range"],
        )

    def forward(self, item_seq: torch.Tensor, item_seq_len: torch.Tensor) -> torch.Tensor:
        """``[B, H]`` sequence representation used to score the next item."""
        return gather_last(self.encoder(item_seq), item_seq_len)

    def _encode_views(self, item_seq: torch.Tensor, item_seq_len: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Encode the batch and two augmented views in one encoder pass.

        Returns the next-item representation ``[B, H]`` and the behaviour embeddings of the original
        sequences and of both views (``[B, d]`` each).
        """
        view_a, len_a = random_augment(item_seq, item_seq_len, *self.augmentation_ratios, self.encoder.mask_token)
        view_b, len_b = random_augment(item_seq, item_seq_len, *self.augmentation_ratios, self.encoder.mask_token)
        batch = item_seq.shape[0]
        hidden = self.encoder(torch.cat([item_seq, view_a, view_b]))  # [3B, L, H]
        lengths = torch.cat([item_seq_len, len_a, len_b])
        embeddings = behaviour_embedding(hidden, lengths, self.cluster_embedding)  # [3B, d]
        seq_output = gather_last(hidden[:batch], item_seq_len)
        return seq_output, embeddings[:batch], embeddings[batch : 2 * batch], embeddings[2 * batch :]

    def _next_item_loss(self, seq_output: torch.Tensor, pos_items: torch.Tensor) -> torch.Tensor:
        return next_item_loss(seq_output, self.encoder.item_weights(self.n_items), pos_items, self.loss_type)

    def predict(self, interaction) -> torch.Tensor:
        """``[B]`` scores of the candidate items in ``interaction``."""
        seq_output = self.forward(interaction[self.ITEM_SEQ], interaction[self.ITEM_SEQ_LEN])
        return (seq_output * self.encoder.item_weights(self.n_items)[interaction[self.ITEM_ID]]).sum(dim=-1)

    def full_sort_predict(self, interaction) -> torch.Tensor:
        """``[B, n_items]`` scores of every item."""
        seq_output = self.forward(interaction[self.ITEM_SEQ], interaction[self.ITEM_SEQ_LEN])
        return seq_output @ self.encoder.item_weights(self.n_items).T

    @torch.no_grad()
    def sequence_embeddings(self, interaction) -> torch.Tensor:
        """``[B, d]`` behaviour embeddings of the batch's sequences (no augmentation)."""
        hidden = self.encoder(interaction[self.ITEM_SEQ])
        return behaviour_embedding(hidden, interaction[self.ITEM_SEQ_LEN], self.cluster_embedding)
