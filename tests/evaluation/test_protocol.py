"""The paper's evaluation protocol: each row's whole earlier history, handed to RecBole's trainer as history_index."""

import numpy as np
import pytest
import torch

from recbole_elcrec.evaluation.protocol import (
    EarlierItems,
    ProtocolError,
    SequentialFullSortLoader,
    check_protocol,
    earlier_items,
)
from tests.helpers import tiny_raw_sequences


def test_batch_index_lists_each_rows_items():
    history = EarlierItems(items=np.array([5, 6, 7, 8, 9]), starts=np.array([0, 2, 1]), counts=np.array([2, 3, 1]))
    rows, items = history.batch_index(np.array([2, 0]))
    assert rows.tolist() == [0, 1, 1] and items.tolist() == [6, 5, 6]


def test_earlier_items_are_the_whole_history_before_each_target(tiny_loaders, tiny_data_path):
    config, dataset, train, valid, test = tiny_loaders
    raw = tiny_raw_sequences(tiny_data_path)
    splits = [train.dataset, valid.dataset, test.dataset]
    histories = earlier_items(splits, "user_id", "item_id", "item_id_list")
    for split, history, cut in ((valid.dataset, histories[1], 2), (test.dataset, histories[2], 1)):
        users = dataset.id2token("user_id", split.inter_feat["user_id"].numpy())
        for row, user in enumerate(users):
            items = history.items[history.starts[row] : history.starts[row] + history.counts[row]]
            assert list(dataset.id2token("item_id", items)) == raw[user][:-cut]  # validation item removed at test
    train_targets = train.dataset.inter_feat["item_id"].numpy()
    first = histories[0]
    assert (first.items[first.starts + first.counts] == train_targets).all()  # the item after the history


def test_history_longer_than_max_length_is_removed_whole(tiny_data_path, tmp_path):
    from recbole_elcrec.config import build_config
    from recbole_elcrec.quick_start.run import load_data
    from tests.helpers import tiny_overrides

    config = build_config("ELCRec", "tiny", [], tiny_overrides(tmp_path, tiny_data_path, MAX_ITEM_LIST_LENGTH=3))
    *_, test = load_data(config)
    longest = int(np.argmax(test.history.counts))
    assert test.history.counts[longest] > 3  # more earlier items than the 3 the model sees


def test_loaders_carry_history_index_and_visit_rows_by_length(tiny_loaders):
    config, _, _, valid, test = tiny_loaders
    assert isinstance(valid, SequentialFullSortLoader) and isinstance(test, SequentialFullSortLoader)
    lengths, total_history = [], 0
    for interaction, history_index, _, positive_i in test:
        rows, items = history_index
        assert rows.max() < len(interaction) and torch.equal(positive_i, interaction["item_id"])
        lengths.append(interaction["item_length"])
        total_history += len(items)
    assert torch.equal(torch.cat(lengths), torch.cat(lengths).sort().values)
    assert total_history == int(test.history.counts.sum())


def test_paper_protocol_never_ranks_an_earlier_item(tiny_checkpoint):
    from recbole_elcrec.quick_start.restore import load_trained

    trained = load_trained(tiny_checkpoint, "cpu")
    for interaction, (rows, items), _, _ in trained.test_data:
        scores = trained.model.full_sort_predict(interaction).detach()
        scores[rows, items] = -np.inf
        top = scores.topk(5).indices
        assert not (top[rows] == items.unsqueeze(1)).any()


def test_unknown_protocol_lists_the_known_ones():
    assert check_protocol("paper") == "paper"
    with pytest.raises(ProtocolError, match=r"eval_protocol must be one of \('paper', 'recbole'\)"):
        check_protocol("papers")
