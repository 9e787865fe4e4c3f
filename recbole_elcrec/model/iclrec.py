"""ICLRec: intent contrastive learning for sequential recommendation (Chen et al., WWW 2022)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from recbole_elcrec.model.base import ContrastiveSequentialRecommender
from recbole_elcrec.model.kmeans import kmeans
from recbole_elcrec.model.losses import intent_info_nce, nearest_centre, sequence_info_nce


class ICLRec(ContrastiveSequentialRecommender):
    """An EM loop around a SASRec encoder (ICLRec, section 3).

    E-step (run by ``ICLRecTrainer`` before every epoch): k-means over one behaviour embedding per
    training user gives ``num_intent_clusters`` intent centroids, kept in a buffer. M-step (this
    ``calculate_loss``): ``L_next_item + cf_weight * L_seq_cl + intent_cf_weight * L_intent_cl``, where
    ``L_seq_cl`` contrasts two augmented views (dot-product InfoNCE, in-batch negatives, as ICLRec's
    instance loss) and ``L_intent_cl`` pulls each view to its sequence's centroid against all centroids
    (ELCRec's Eq. 6 form). The centroids receive no gradient: the full-data clustering each epoch is the
    cost ELCRec removes. Unlike ICLRec's code, k-means runs on l2-normalised embeddings (cosine
    assignment) and both losses use the ``cluster_embedding`` representation.
    """

    LOSS_TERMS = ("next_item", "seq_cl", "intent_cl")

    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        self.n_intents = int(config["num_intent_clusters"])
        self.cf_weight = float(config["cf_weight"])
        self.intent_cf_weight = float(config["intent_cf_weight"])
        self.temperature = float(config["temperature"])
        self.kmeans_iterations = int(config["kmeans_iterations"])
        self.kmeans_restarts = int(config["kmeans_restarts"] or 1)
        n_users = dataset.user_num - 1  # RecBole reserves id 0 for padding
        if not 2 <= self.n_intents <= n_users:
            raise ValueError(f"num_intent_clusters={self.n_intents} must be between 2 and the {n_users} "
                             f"training users of dataset '{dataset.dataset_name}'")
        dim = config["hidden_size"] * (self.max_seq_length if self.cluster_embedding == "concat" else 1)
        self.register_buffer("intent_centroids", torch.zeros(self.n_intents, dim))
        self.register_buffer("centroids_ready", torch.tensor(False))

    def calculate_loss(self, interaction) -> tuple[torch.Tensor, ...]:
        """The weighted terms, in the order of ``LOSS_TERMS``; no intent term before the first E-step."""
        hidden, original, view_a, view_b = self._encode_views(interaction)
        next_item = self._next_item_loss(hidden, interaction)
        seq_cl = sequence_info_nce(view_a, view_b, self.temperature)
        intent_cl = next_item.new_zeros(())
        if bool(self.centroids_ready):
            assignment = nearest_centre(original, self.intent_centroids)
            intent_cl = intent_info_nce(view_a, view_b, self.intent_centroids, assignment, self.temperature)
        return next_item, self.cf_weight * seq_cl, self.intent_cf_weight * intent_cl

    @torch.no_grad()
    def fit_intents(self, embeddings: torch.Tensor, seed: int = 0) -> np.ndarray:
        """E-step: k-means over the l2-normalised behaviour embeddings ``[n_users, d]``; returns assignments."""
        points = F.normalize(embeddings.float(), dim=-1).cpu().numpy()
        centroids, assignment = kmeans(points, self.n_intents, self.kmeans_iterations, seed, self.kmeans_restarts)
        self.intent_centroids.copy_(torch.from_numpy(centroids))
        self.centroids_ready.fill_(True)
        return assignment
