"""Eq. 3-6 against hand-computed values and brute-force references."""

import math

import pytest
import torch

from recbole_elcrec.model.losses import cluster_loss, fuse_intent, intent_info_nce, nearest_centre, sequence_info_nce


def brute_force_cluster_loss(h: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    h = torch.nn.functional.normalize(h, dim=-1)
    c = torch.nn.functional.normalize(c, dim=-1)
    k, b = c.shape[0], h.shape[0]
    centre_sq = torch.cdist(c, c) ** 2
    separation = centre_sq.sum() / (k * (k - 1))  # the diagonal is zero
    pull = (torch.cdist(h, c) ** 2).sum() / (b * k)
    return -separation + pull


def test_cluster_loss_hand_computed():
    h = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    c = torch.tensor([[1.0, 0.0], [-1.0, 0.0]])
    # centres: ||c1-c2||^2 = 4 twice -> 8 / (2*1) = 4; embeddings: 0 + 4 + 2 + 2 = 8 -> 8 / (2*2) = 2
    assert cluster_loss(h, c).item() == pytest.approx(-4.0 + 2.0)


def test_cluster_loss_normalises_inputs():
    h = torch.tensor([[3.0, 0.0], [0.0, 0.5]])
    c = torch.tensor([[2.0, 0.0], [-7.0, 0.0]])
    assert cluster_loss(h, c).item() == pytest.approx(-2.0)


def test_cluster_loss_matches_pairwise_definition():
    generator = torch.Generator().manual_seed(0)
    h, c = torch.randn(13, 5, generator=generator), torch.randn(7, 5, generator=generator)
    assert cluster_loss(h, c).item() == pytest.approx(brute_force_cluster_loss(h, c).item(), abs=1e-5)


def test_cluster_loss_works_with_more_centres_than_embeddings():
    h, c = torch.randn(3, 4), torch.randn(50, 4)
    assert cluster_loss(h, c).item() == pytest.approx(brute_force_cluster_loss(h, c).item(), abs=1e-5)


def test_cluster_loss_needs_two_centres():
    with pytest.raises(ValueError, match="at least 2 centres"):
        cluster_loss(torch.randn(3, 4), torch.randn(1, 4))


def test_cluster_loss_gradient_pushes_centres_apart():
    c = torch.tensor([[1.0, 0.0], [0.9, 0.1]], requires_grad=True)
    loss = cluster_loss(torch.tensor([[0.0, 1.0]]), c)
    loss.backward()
    assert c.grad is not None and c.grad.abs().sum() > 0
    moved = (c - 0.1 * c.grad).detach()
    assert cluster_loss(torch.tensor([[0.0, 1.0]]), moved) < loss


def test_sequence_info_nce_hand_computed():
    view = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    # every anchor: positive logit 1, two negatives with logit 0 -> log(1 + 2/e)
    assert sequence_info_nce(view, view.clone(), temperature=1.0).item() == pytest.approx(math.log(1 + 2 / math.e))


def test_sequence_info_nce_temperature_sharpens():
    view = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    assert sequence_info_nce(view, view, 0.5).item() == pytest.approx(math.log(1 + 2 / math.e**2))


def test_intent_info_nce_hand_computed():
    centres = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    view_a, view_b = torch.tensor([[2.0, 0.0]]), torch.tensor([[0.0, 3.0]])
    expected = 0.5 * (math.log(1 + math.exp(-1)) + math.log(1 + math.e))
    loss = intent_info_nce(view_a, view_b, centres, torch.tensor([0]), temperature=1.0)
    assert loss.item() == pytest.approx(expected)


def test_nearest_centre_uses_direction():
    centres = torch.tensor([[10.0, 0.0], [0.0, 0.1], [-1.0, 0.0]])
    embeddings = torch.tensor([[0.2, 0.1], [0.1, 5.0], [-3.0, 0.5]])
    assert nearest_centre(embeddings, centres).tolist() == [0, 1, 2]


def test_fuse_intent_shift_and_concat():
    centres = torch.tensor([[0.0, 2.0], [3.0, 0.0]])
    h = torch.tensor([[4.0, 0.0]])
    assignment = torch.tensor([0])
    assert fuse_intent(h, centres, assignment, "shift").tolist() == [[1.0, 1.0]]
    assert fuse_intent(h, centres, assignment, "concat").tolist() == [[1.0, 0.0, 0.0, 1.0]]
    with pytest.raises(ValueError, match="intent_fusion"):
        fuse_intent(h, centres, assignment, "add")


def test_fuse_intent_keeps_the_raw_embedding_when_asked():
    centres = torch.tensor([[0.0, 2.0], [3.0, 0.0]])
    h = torch.tensor([[4.0, 0.0]])
    assignment = torch.tensor([0])
    assert fuse_intent(h, centres, assignment, "shift", unit_embeddings=False).tolist() == [[4.0, 1.0]]
    assert fuse_intent(h, centres, assignment, "concat", unit_embeddings=False).tolist() == [[4.0, 0.0, 0.0, 1.0]]


def test_chunked_cross_entropy_matches_the_plain_one(monkeypatch):
    from recbole_elcrec.model import losses

    monkeypatch.setattr(losses, "CE_CHUNK_ROWS", 3)  # several chunks and a short last one
    generator = torch.Generator().manual_seed(0)
    hidden = torch.randn(10, 4, generator=generator, requires_grad=True)
    weight = torch.randn(7, 4, generator=generator, requires_grad=True)
    targets = torch.randint(0, 7, (10,), generator=generator)
    plain = torch.nn.functional.cross_entropy(hidden @ weight.T, targets)
    plain_grads = torch.autograd.grad(plain * 2.5, (hidden, weight))
    chunked = losses.full_cross_entropy(hidden, weight, targets)
    chunked_grads = torch.autograd.grad(chunked * 2.5, (hidden, weight))
    assert torch.allclose(plain, chunked, atol=1e-6)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(plain_grads, chunked_grads, strict=True))
    with torch.no_grad():
        assert torch.allclose(losses.full_cross_entropy(hidden, weight, targets), plain, atol=1e-6)


def test_weighted_cross_entropy_is_the_weighted_sum_of_the_rows(monkeypatch):
    from recbole_elcrec.model import losses

    monkeypatch.setattr(losses, "CE_CHUNK_ROWS", 4)
    generator = torch.Generator().manual_seed(1)
    hidden = torch.randn(9, 4, generator=generator, requires_grad=True)
    weight = torch.randn(6, 4, generator=generator, requires_grad=True)
    targets = torch.randint(0, 6, (9,), generator=generator)
    row_weights = torch.rand(9, generator=generator)
    plain = (torch.nn.functional.cross_entropy(hidden @ weight.T, targets, reduction="none") * row_weights).sum()
    plain_grads = torch.autograd.grad(plain, (hidden, weight))
    chunked = losses.full_cross_entropy(hidden, weight, targets, row_weights)
    chunked_grads = torch.autograd.grad(chunked, (hidden, weight))
    assert torch.allclose(plain, chunked, atol=1e-6)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(plain_grads, chunked_grads, strict=True))
    with torch.no_grad():
        assert torch.allclose(losses.full_cross_entropy(hidden, weight, targets, row_weights), plain, atol=1e-6)


def test_weighted_bce_is_the_weighted_sum_and_no_weights_is_the_mean():
    from recbole_elcrec.model.losses import next_item_loss

    hidden = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    items = torch.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, -1.0]])  # id 0 is padding, never a negative
    targets = torch.tensor([1, 2])
    torch.manual_seed(5)
    negatives = torch.randint(1, 3, (2,))
    per_row = [math.log1p(math.exp(-float(hidden[i] @ items[targets[i]]))) +
               math.log1p(math.exp(float(hidden[i] @ items[negatives[i]]))) for i in range(2)]
    torch.manual_seed(5)
    weighted = next_item_loss(hidden, items, targets, "BCE", torch.tensor([0.25, 2.0]))
    torch.manual_seed(5)
    mean = next_item_loss(hidden, items, targets, "BCE")
    assert weighted.item() == pytest.approx(0.25 * per_row[0] + 2.0 * per_row[1], rel=1e-6)
    assert mean.item() == pytest.approx((per_row[0] + per_row[1]) / 2, rel=1e-6)
