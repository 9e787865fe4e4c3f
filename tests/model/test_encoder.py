"""The shared encoder: position alignment 'end' equals the paper's left-padded layout; cut batches change nothing."""

import torch

from recbole_elcrec.model.encoder import SequenceEncoder, behaviour_embedding, gather_last, longest_prefix

L, H = 6, 8


def encoder(alignment: str) -> SequenceEncoder:
    torch.manual_seed(0)
    return SequenceEncoder(n_items=20, max_seq_length=L, hidden_size=H, n_layers=2, n_heads=2, inner_size=16,
                           hidden_dropout_prob=0.0, attn_dropout_prob=0.0, hidden_act="gelu", layer_norm_eps=1e-12,
                           initializer_range=0.02, position_alignment=alignment).eval()


def left_aligned(sequences: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    rows = torch.zeros(len(sequences), L, dtype=torch.long)
    for row, sequence in enumerate(sequences):
        rows[row, : len(sequence)] = torch.tensor(sequence)
    return rows, torch.tensor([len(sequence) for sequence in sequences])


def test_end_alignment_equals_left_padding_with_plain_positions():
    sequences = [[3, 4, 5], [7], [1, 2, 3, 4, 5, 6]]
    items, lengths = left_aligned(sequences)
    padded_left = torch.zeros_like(items)  # the paper's layout: padding first, the last item in slot L-1
    for row, sequence in enumerate(sequences):
        padded_left[row, L - len(sequence) :] = torch.tensor(sequence)
    end, start = encoder("end"), encoder("start")
    start.load_state_dict(end.state_dict())
    ours = gather_last(end(items, lengths), lengths)
    papers = start(padded_left, torch.full_like(lengths, L))[:, -1]
    assert torch.allclose(ours, papers, atol=1e-5)


def test_start_alignment_gives_item_j_position_j():
    model = encoder("start")
    assert model.position_ids(torch.tensor([2, 5]), 4).tolist() == [[0, 1, 2, 3]]
    assert encoder("end").position_ids(torch.tensor([2, 5]), 4).tolist() == [[4, 5, 5, 5], [1, 2, 3, 4]]


def test_cutting_a_batch_to_its_longest_sequence_changes_no_output():
    items, lengths = left_aligned([[3, 4], [5, 6, 7]])
    model = encoder("end")
    full = model(items, lengths)[:, :3]
    cut = model(longest_prefix(items, lengths), lengths)
    assert cut.shape[1] == 3 and torch.allclose(full, cut, atol=1e-6)
    for mode in ("mean", "last", "concat"):
        assert torch.allclose(behaviour_embedding(model(items, lengths), lengths, mode, L),
                              behaviour_embedding(cut, lengths, mode, L), atol=1e-6)
