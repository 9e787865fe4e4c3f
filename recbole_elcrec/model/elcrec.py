"""ELCRec: end-to-end learnable clustering for intent learning in sequential recommendation."""

from __future__ import annotations

import logging

import torch
import torch.nn.functional as F
from torch import nn

from recbole_elcrec.model.base import ContrastiveSequentialRecommender
from recbole_elcrec.model.centres import kmeans_plus_plus, random_unit_vectors
from recbole_elcrec.model.losses import cluster_loss, fuse_intent, intent_info_nce, nearest_centre, sequence_info_nce


class ELCRec(ContrastiveSequentialRecommender):
    """ELCRec (arXiv 2401.05975, section 3.4) on a SASRec-style encoder.

    Learnable centres ``C`` (``[k, d]``) are trained with the encoder by the overall loss, Eq. 7:
    ``L_next_item + ccl_weight * (L_seq_cl + L_intent_cl) + alpha * L_cluster``.
    ``use_ccl`` and ``use_elcm`` switch off cluster-assisted contrastive learning and the cluster
    loss to reproduce the paper's ablation rows; with ``use_ccl`` off, the two views are still
    contrasted without intent fusion (the baseline of the ablation).
    """

    LOSS_TERMS = ("next_item", "seq_cl", "intent_cl", "cluster")

    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        self.n_clusters = int(config["n_clusters"])
        self.alpha = float(config["alpha"])
        self.ccl_weight = float(config["ccl_weight"])
        self.temperature = float(config["temperature"])
        self.intent_fusion = config["intent_fusion"]
        self.contrast_space = config["contrast_space"]
        self.centre_init = config["centre_init"]
        self.use_ccl = bool(config["use_ccl"])
        self.use_elcm = bool(config["use_elcm"])
        self.cluster_grad = config["cluster_grad"] or "encoder"
        self._check_settings(dataset)
        centre_dim = config["hidden_size"] * (self.max_seq_length if self.cluster_embedding == "concat" else 1)
        self.cluster_centres = nn.Parameter(random_unit_vectors(self.n_clusters, centre_dim))
        self.register_buffer("centres_initialised", torch.tensor(False))
        self.register_buffer("active_centres", torch.ones(self.n_clusters, dtype=torch.bool))

    def _check_settings(self, dataset) -> None:
        """Fail early, naming the key, on settings the model cannot train with."""
        n_users = dataset.user_num - 1  # RecBole reserves id 0 for padding
        if self.n_clusters < 2:
            raise ValueError(f"n_clusters must be at least 2, got {self.n_clusters}")
        if self.n_clusters > n_users:
            raise ValueError(
                f"n_clusters={self.n_clusters} is larger than the {n_users} training users of dataset "
                f"'{dataset.dataset_name}': choose n_clusters <= {n_users}"
            )
        choices = {"intent_fusion": ("shift", "concat"), "cluster_embedding": ("mean", "last", "concat"),
                   "centre_init": ("kmeans++", "random"), "contrast_space": ("unit", "raw")}
        for key, allowed in choices.items():
            if getattr(self, key) not in allowed:
                raise ValueError(f"{key} must be one of {allowed}, got {getattr(self, key)!r}")
        if self.use_elcm and not self.use_ccl and self.cluster_grad == "centres":
            logging.getLogger().warning(
                "use_elcm without use_ccl under cluster_grad: centres trains the encoder exactly as without the "
                "cluster loss (it moves only the centres, which nothing else reads): set cluster_grad: encoder "
                "for ELCM to act on its own"
            )

    def _live_centres(self) -> torch.Tensor:
        """``[k_active, d]`` centres still in use (all k unless adaptive centres pruned some)."""
        return self.cluster_centres[self.active_centres]

    def _contrastive_losses(
        self, original: torch.Tensor, view_a: torch.Tensor, view_b: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Sequence InfoNCE between the (intent-fused) views, Eq. 4, and intent InfoNCE, Eq. 6.

        ``contrast_space``: ``unit`` l2-normalises the view embeddings before fusion and InfoNCE;
        ``raw`` contrasts them as the encoder gives them (the authors' code, and CL4SRec's and ICLRec's here).
        """
        unit = self.contrast_space == "unit"
        if not self.use_ccl:
            plain_a, plain_b = (F.normalize(view_a, dim=-1), F.normalize(view_b, dim=-1)) if unit else (view_a, view_b)
            return sequence_info_nce(plain_a, plain_b, self.temperature), view_a.new_zeros(())
        centres = self._live_centres()
        assignment = nearest_centre(original, centres)  # Eq. 5
        fused_a = fuse_intent(view_a, centres, assignment, self.intent_fusion, unit)
        fused_b = fuse_intent(view_b, centres, assignment, self.intent_fusion, unit)
        seq_cl = sequence_info_nce(fused_a, fused_b, self.temperature)
        intent_cl = intent_info_nce(view_a, view_b, centres, assignment, self.temperature)
        return seq_cl, intent_cl

    def calculate_loss(self, interaction) -> tuple[torch.Tensor, ...]:
        """The weighted terms of Eq. 7, in the order of ``LOSS_TERMS``; RecBole's trainer sums them."""
        hidden, original, view_a, view_b = self._encode_views(interaction)
        next_item = self._next_item_loss(hidden, interaction)
        seq_cl, intent_cl = self._contrastive_losses(original, view_a, view_b)
        cluster_input = original if self.cluster_grad == "encoder" else original.detach()
        clustering = cluster_loss(cluster_input, self._live_centres()) if self.use_elcm else next_item.new_zeros(())
        return next_item, self.ccl_weight * seq_cl, self.ccl_weight * intent_cl, self.alpha * clustering

    @torch.no_grad()
    def user_intents(self, interaction) -> tuple[torch.Tensor, torch.Tensor]:
        """Behaviour embeddings ``[B, d]`` of the batch's sequences and their nearest live centre ``[B]``.

        Centre indices refer to all k centres, pruned ones included, so they stay stable.
        """
        embeddings = self.sequence_embeddings(interaction)
        return embeddings, self.assign_intents(embeddings)

    @torch.no_grad()
    def assign_intents(self, embeddings: torch.Tensor) -> torch.Tensor:
        """``[B]`` index (among all k centres) of the nearest live centre of each embedding, Eq. 5."""
        live_index = self.active_centres.nonzero().squeeze(1)  # [k_active] -> index among all k
        return live_index[nearest_centre(embeddings, self._live_centres())]

    @torch.no_grad()
    def init_centres(self, embeddings: torch.Tensor, generator: torch.Generator | None = None) -> None:
        """Seed the centres from a sample of behaviour embeddings (``centre_init``: kmeans++ or random)."""
        if self.centre_init == "kmeans++":
            centres = kmeans_plus_plus(embeddings, self.n_clusters, generator)
        else:
            centres = random_unit_vectors(self.n_clusters, self.cluster_centres.shape[1], generator)
        self.cluster_centres.copy_(centres.to(self.cluster_centres.device))
        self.centres_initialised.fill_(True)
