"""ICLRec's trainer: the ELCRec trainer plus ICLRec's E-step, k-means over one sequence per user before every epoch."""

from __future__ import annotations

from time import time
from typing import Any

import torch

from recbole_elcrec.data.sequences import longest_sequence_per_user
from recbole_elcrec.trainer.trainer import ELCRecTrainer


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
