"""Shared base of this package's sequential models: encoder, views, next-item loss in both training modes, scoring."""

from __future__ import annotations

from typing import NamedTuple

import torch
from recbole.model.abstract_recommender import SequentialRecommender

from recbole_elcrec.data.sequences import NEXT_ITEM_WEIGHT, NEXT_ITEMS, TRAIN_MODES
from recbole_elcrec.model.augmentations import random_augment
from recbole_elcrec.model.encoder import SequenceEncoder, behaviour_embedding, gather_last, longest_prefix
from recbole_elcrec.model.losses import next_item_loss

NEXT_ITEM_LOSSES = ("CE", "BCE")


class EncodedViews(NamedTuple):
    """One encoder pass over a batch and two augmented views of it."""

    hidden: torch.Tensor  # [B, l, H] outputs at every position of the original sequences
    original: torch.Tensor  # [B, d] behaviour embeddings of the original sequences
    view_a: torch.Tensor  # [B, d] behaviour embeddings of the first view
    view_b: torch.Tensor  # [B, d] behaviour embeddings of the second view


class ContrastiveSequentialRecommender(SequentialRecommender):
    """A SASRec-style encoder trained on next-item prediction, plus contrast between augmented views in subclasses.

    Training rows come in one of two forms (``train_mode``): ``sequence``, one row per user with its
    whole training sequence and ``NEXT_ITEMS``, the next item at every position, whose loss is taken at
    every real position of one causal pass (the paper's and SASRec's form); or ``prefix``, RecBole's
    rows (one per prefix, loss at its last position). The model reads the form from the batch.
    Subclasses (ELCRec, CL4SRec, ICLRec, SASRec) name their loss terms in ``LOSS_TERMS``.
    """

    LOSS_TERMS: tuple[str, ...] = ("next_item",)

    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        self.loss_type = config["loss_type"]
        if self.loss_type not in NEXT_ITEM_LOSSES:
            raise ValueError(f"loss_type must be one of {NEXT_ITEM_LOSSES}, got {self.loss_type!r}")
        train_mode = config["train_mode"] or "sequence"
        if train_mode not in TRAIN_MODES:
            raise ValueError(f"train_mode must be one of {TRAIN_MODES}, got {train_mode!r}")
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
            position_alignment=config["position_alignment"] or "start",
        )

    def forward(self, item_seq: torch.Tensor, item_seq_len: torch.Tensor) -> torch.Tensor:
        """``[B, H]`` sequence representation used to score the next item (the last real position)."""
        return gather_last(self.encoder(longest_prefix(item_seq, item_seq_len), item_seq_len), item_seq_len)

    def _encode_views(self, interaction) -> EncodedViews:
        """Encode the batch and two augmented views of it in one encoder pass (``[3B, l]``)."""
        lengths = interaction[self.ITEM_SEQ_LEN]
        item_seq = longest_prefix(interaction[self.ITEM_SEQ], lengths)
        view_a, len_a = random_augment(item_seq, lengths, *self.augmentation_ratios, self.encoder.mask_token)
        view_b, len_b = random_augment(item_seq, lengths, *self.augmentation_ratios, self.encoder.mask_token)
        batch = item_seq.shape[0]
        all_lengths = torch.cat([lengths, len_a, len_b])
        hidden = self.encoder(torch.cat([item_seq, view_a, view_b]), all_lengths)  # [3B, l, H]
        embeddings = behaviour_embedding(hidden, all_lengths, self.cluster_embedding, self.max_seq_length)  # [3B, d]
        return EncodedViews(hidden[:batch], embeddings[:batch], embeddings[batch : 2 * batch], embeddings[2 * batch :])

    def _next_item_loss(self, hidden: torch.Tensor, interaction) -> torch.Tensor:
        """The next-item loss of a batch from the encoder outputs ``hidden`` ``[B, l, H]``.

        Sequence mode: at every real position ``t``, predicting ``NEXT_ITEMS[:, t]`` (``[N, H]`` outputs
        for the ``N`` real positions of the batch), each target weighted by its row's ``NEXT_ITEM_WEIGHT``
        over ``B`` (the mean over the targets when the batch has no weights). Prefix mode: at each
        row's last position, the mean over the rows.
        """
        if NEXT_ITEMS not in interaction:
            outputs, targets = gather_last(hidden, interaction[self.ITEM_SEQ_LEN]), interaction[self.POS_ITEM_ID]
            return next_item_loss(outputs, self.encoder.item_weights(self.n_items), targets, self.loss_type)
        targets = interaction[NEXT_ITEMS][:, : hidden.shape[1]]  # [B, l], 0 after each sequence
        real = targets > 0
        row_weights = None
        if NEXT_ITEM_WEIGHT in interaction:
            per_row = interaction[NEXT_ITEM_WEIGHT] / targets.shape[0]  # [B]
            row_weights = per_row.unsqueeze(1).expand_as(targets)[real]  # [N]
        return next_item_loss(hidden[real], self.encoder.item_weights(self.n_items), targets[real], self.loss_type,
                              row_weights)

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
        lengths = interaction[self.ITEM_SEQ_LEN]
        hidden = self.encoder(longest_prefix(interaction[self.ITEM_SEQ], lengths), lengths)
        return behaviour_embedding(hidden, lengths, self.cluster_embedding, self.max_seq_length)
