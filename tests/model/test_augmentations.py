"""Vectorised crop / mask / reorder on left-aligned padded batches."""

import torch

from recbole_elcrec.model.augmentations import crop, mask, random_augment, reorder

MASK_TOKEN = 99


def batch():
    item_seq = torch.tensor([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [11, 12, 13, 14, 0, 0, 0, 0, 0, 0], [21, 0, 0, 0, 0, 0, 0,
                             0, 0, 0]])
    return item_seq, torch.tensor([10, 4, 1])


def test_crop_keeps_a_contiguous_window():
    torch.manual_seed(0)
    item_seq, lengths = batch()
    for _ in range(20):
        cropped, crop_len = crop(item_seq, lengths, 0.5)
        assert crop_len.tolist() == [5, 2, 1]
        for row, original, n in zip(cropped.tolist(), item_seq.tolist(), crop_len.tolist(), strict=True):
            kept = row[:n]
            start = original.index(kept[0])
            assert original[start : start + n] == kept
            assert row[n:] == [0] * (len(row) - n)


def test_mask_replaces_exact_count_inside_sequence():
    torch.manual_seed(1)
    item_seq, lengths = batch()
    masked, new_len = mask(item_seq, lengths, 0.5, MASK_TOKEN)
    assert new_len.tolist() == lengths.tolist()
    assert (masked == MASK_TOKEN).sum(dim=1).tolist() == [5, 2, 0]
    assert (masked[1, 4:] == 0).all()  # padding never masked
    unchanged = masked != MASK_TOKEN
    assert torch.equal(masked[unchanged], item_seq[unchanged])


def test_reorder_permutes_only_a_window():
    torch.manual_seed(2)
    item_seq, lengths = batch()
    changed_somewhere = False
    for _ in range(20):
        shuffled, _ = reorder(item_seq, lengths, 0.5)
        for row, original, n in zip(shuffled.tolist(), item_seq.tolist(), lengths.tolist(), strict=True):
            assert sorted(row[:n]) == sorted(original[:n])
            assert row[n:] == original[n:]
            differing = [i for i in range(n) if row[i] != original[i]]
            if differing:
                changed_somewhere = True
                assert differing[-1] - differing[0] < max(1, int(n * 0.5))
    assert changed_somewhere


def test_random_augment_mixes_operations_per_row():
    torch.manual_seed(3)
    item_seq = torch.arange(1, 11).repeat(64, 1)
    lengths = torch.full((64,), 10)
    view, view_len = random_augment(item_seq, lengths, 0.2, 0.7, 0.2, MASK_TOKEN)
    cropped_rows = view_len < 10
    masked_rows = (view == MASK_TOKEN).any(dim=1)
    assert cropped_rows.any() and masked_rows.any() and (~cropped_rows & ~masked_rows).any()
    assert (view[cropped_rows][:, 2:] == 0).all()  # crop keeps floor(0.2 * 10) = 2 items
