"""ICLRec's trainer: the ELCRec trainer plus ICLRec's E-step, k-means over one sequence per user before every epoch."""

from __future__ import annotations

from time import time
from typing import Any

import torch

from recbole_elcrec.trainer.trainer import ELCRecTrainer


def longest_sequence_per_user(users: torch.Tensor, lengths: torch.Tensor,
                              times: torch.Tensor | None = None) -> torch.Tensor:
    """Row index of one training sequence per user: the longest, the latest target on ties.

    RecBole turns every prefix of a user's training items into a row; the longest (latest) one is the
    user's whole training history, the sequence ICLRec clusters (``items[:-3]`` in its code).
    ``times`` (the targets' timestamps) breaks ties between windows truncated to the same length.
    """
    order = torch.arange(len(users), device=users.device)
    for key in (times, lengths, users):  # stable sorts, least significant key first
        if key is not None:
            order = order[torch.sort(key[order], stable=True).indices]
    sorted_users = users[order]
    last_of_user = torch.ones_like(sorted_users, dtype=torch.bool)
    last_of_user[:-1] = sorted_users[1:] != sorted_users[:-1]
    return order[last_of_user]


class ICLRecTrainer(ELCRecTrainer):
    """ELCRecTrainer plus ICLRec's E-step: k-means over every training user's sequence before each epoch."""

    @torch.no_grad()
    def user_embeddings(self, train_data) -> torch.Tensor:
        """``[n_users, d]`` behaviour embeddings, one per training user (see ``longest_sequence_per_user``).

        Iterates the whole training loader in eval mode (no dropout) and no gradient.
        """
        self.model.eval()
        user_field, time_field = self.config["USER_ID_FIELD"], self.config["TIME_FIELD"]
        embeddings, users, lengths, times = [], [], [], []
        for interaction in train_data:
            interaction = interaction.to(self.device)
            embeddings.append(self.model.sequence_embeddings(interaction))
            users.append(interaction[user_field])
            lengths.append(interaction[self.model.ITEM_SEQ_LEN])
            if time_field in interaction:
                times.append(interaction[time_field])
        rows = longest_sequence_per_user(torch.cat(users), torch.cat(lengths), torch.cat(times) if times else None)
        return torch.cat(embeddings)[rows]

    def _before_epoch(self, train_data, epoch_idx: int) -> dict[str, Any]:
        """The parent's per-epoch work, then the E-step; records its time and the number of users clustered."""
        extras = super()._before_epoch(train_data, epoch_idx)
        start = time()
        embeddings = self.user_embeddings(train_data)
        self.model.fit_intents(embeddings, seed=int(self.config["seed"]) + epoch_idx)
        seconds = time() - start
        self.logger.info(f"epoch {epoch_idx} E-step: k-means of {len(embeddings)} users into "
                         f"{self.model.n_intents} intents in {seconds:.2f}s")
        return {**extras, "estep_seconds": seconds, "estep_users": len(embeddings)}
