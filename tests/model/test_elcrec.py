"""ELCRec model: loss terms, gradients reaching the centres, ablation switches, settings checks."""

import logging
from types import SimpleNamespace

import pytest
import torch
import yaml
from recbole.data.interaction import Interaction

from recbole_elcrec.config import PROPERTIES_DIR
from recbole_elcrec.model.elcrec import ELCRec

N_ITEMS, N_USERS, MAX_LEN = 30, 40, 8


def make_model(**overrides) -> ELCRec:
    config = yaml.safe_load((PROPERTIES_DIR / "ELCRec.yaml").read_text())
    config.update(
        USER_ID_FIELD="user_id", ITEM_ID_FIELD="item_id", LIST_SUFFIX="_list", ITEM_LIST_LENGTH_FIELD="item_length",
        NEG_PREFIX="neg_", MAX_ITEM_LIST_LENGTH=MAX_LEN, device=torch.device("cpu"), hidden_size=16, inner_size=32,
        n_clusters=4, hidden_dropout_prob=0.0, attn_dropout_prob=0.0,
    )
    config.update(overrides)
    dataset = SimpleNamespace(num=lambda field: N_ITEMS, user_num=N_USERS + 1, dataset_name="fake")
    torch.manual_seed(0)
    return ELCRec(config, dataset)


def make_batch(size: int = 12) -> Interaction:
    generator = torch.Generator().manual_seed(1)
    lengths = torch.randint(1, MAX_LEN + 1, (size,), generator=generator)
    items = torch.randint(1, N_ITEMS, (size, MAX_LEN), generator=generator)
    items = items * (torch.arange(MAX_LEN) < lengths.unsqueeze(1))
    return Interaction({"item_id_list": items, "item_length": lengths,
                        "item_id": torch.randint(1, N_ITEMS, (size,), generator=generator)})


def test_loss_terms_are_finite_and_named():
    model = make_model()
    losses = model.calculate_loss(make_batch())
    assert len(losses) == len(ELCRec.LOSS_TERMS) == 4
    assert all(torch.isfinite(term) for term in losses)
    assert all(term.item() != 0 for term in losses)


def test_centres_receive_gradients_and_move():
    model = make_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    before = model.cluster_centres.detach().clone()
    sum(model.calculate_loss(make_batch())).backward()
    assert model.cluster_centres.grad is not None and model.cluster_centres.grad.abs().sum() > 0
    optimizer.step()
    assert not torch.allclose(before, model.cluster_centres.detach())


@pytest.mark.parametrize(("use_ccl", "use_elcm"), [(False, False), (True, False), (False, True)])
def test_ablation_switches_zero_their_terms(use_ccl, use_elcm):
    _, _, intent_cl, clustering = make_model(use_ccl=use_ccl, use_elcm=use_elcm).calculate_loss(make_batch())
    assert (intent_cl.item() != 0) == use_ccl
    assert (clustering.item() != 0) == use_elcm


def test_only_cluster_loss_reaches_centres_without_ccl():
    model = make_model(use_ccl=False, use_elcm=False)
    sum(model.calculate_loss(make_batch())).backward()
    assert model.cluster_centres.grad is None or model.cluster_centres.grad.abs().sum() == 0


@pytest.mark.parametrize("settings", [{"loss_type": "BCE"}, {"intent_fusion": "shift"}, {"cluster_embedding": "last"},
                                      {"cluster_embedding": "concat"}, {"n_clusters": 40}, {"contrast_space": "raw"},
                                      {"contrast_space": "raw", "use_ccl": False}])
def test_variants_train(settings):
    model = make_model(**settings)
    sum(model.calculate_loss(make_batch())).backward()
    assert torch.isfinite(model.cluster_centres.grad).all()


def test_k_larger_than_users_is_rejected():
    with pytest.raises(ValueError, match=rf"n_clusters=41 is larger than the {N_USERS} training users"):
        make_model(n_clusters=41)


@pytest.mark.parametrize(("key", "value"), [("intent_fusion", "add"), ("cluster_embedding", "max"),
                                            ("centre_init", "kmeans"), ("loss_type", "BPR"),
                                            ("contrast_space", "cosine")])
def test_bad_choices_name_the_key(key, value):
    with pytest.raises(ValueError, match=key):
        make_model(**{key: value})


def test_scores_cover_all_items_and_match_predict():
    model = make_model().eval()
    batch = make_batch()
    scores = model.full_sort_predict(batch)
    assert scores.shape == (12, N_ITEMS)
    assert torch.allclose(model.predict(batch), scores[torch.arange(12), batch["item_id"]], atol=1e-5)


def test_init_centres_from_sampled_embeddings():
    model = make_model(n_clusters=4)
    embeddings, assignment = model.user_intents(make_batch(32))
    model.init_centres(embeddings, torch.Generator().manual_seed(0))
    assert bool(model.centres_initialised)
    unit = torch.nn.functional.normalize(embeddings, dim=-1)
    # kmeans++ picks centres among the (normalised) sampled embeddings
    distances = torch.cdist(model.cluster_centres.detach(), unit,
                            compute_mode="donot_use_mm_for_euclid_dist").min(dim=1).values  # exact, not via matmul
    assert distances.max() < 1e-5
    assert assignment.shape == (32,)


@pytest.mark.parametrize(("cluster_grad", "encoder_moves"), [("centres", False), ("encoder", True)])
def test_cluster_grad_decides_whether_eq3_reaches_the_encoder(cluster_grad, encoder_moves):
    model = make_model(cluster_grad=cluster_grad, use_ccl=False)
    clustering = model.calculate_loss(make_batch())[3]
    clustering.backward()
    assert model.cluster_centres.grad.abs().sum() > 0
    encoder_grad = model.encoder.item_embedding.weight.grad
    assert (encoder_grad is not None and encoder_grad.abs().sum() > 0) == encoder_moves


@pytest.mark.parametrize(("overrides", "warned"), [
    ({"use_ccl": False, "cluster_grad": "centres"}, True),
    ({"use_ccl": False, "cluster_grad": "encoder"}, False),
    ({"use_ccl": True, "cluster_grad": "centres"}, False),
    ({"use_ccl": False, "use_elcm": False, "cluster_grad": "centres"}, False),
])
def test_an_elcm_that_cannot_reach_the_encoder_is_warned_about(caplog, overrides, warned):
    with caplog.at_level(logging.WARNING):
        make_model(**overrides)
    assert ("trains the encoder exactly as without the cluster loss" in caplog.text) == warned


def test_contrast_space_changes_the_contrastive_terms_only():
    losses = {}
    for space in ("unit", "raw"):
        model = make_model(contrast_space=space)
        torch.manual_seed(3)  # the same augmented views for both
        losses[space] = [term.item() for term in model.calculate_loss(make_batch())]
    (next_unit, seq_unit, _, cluster_unit), (next_raw, seq_raw, _, cluster_raw) = losses["unit"], losses["raw"]
    assert (next_unit, cluster_unit) == (next_raw, cluster_raw)
    assert seq_unit != seq_raw
