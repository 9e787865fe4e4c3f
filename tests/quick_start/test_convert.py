"""Converting a checkpoint of the authors' code: item rows mapped by token, clear errors, usable by evaluate."""

import json

import pytest
import torch

from recbole_elcrec.commands.evaluate import main as evaluate_main
from recbole_elcrec.quick_start.convert import ConversionError, convert_authors_checkpoint
from recbole_elcrec.quick_start.restore import load_trained
from tests.helpers import TINY_DATASET

HIDDEN, LAYERS, K = 16, 2, 4


def authors_state(n_items: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """A state_dict laid out as the authors' SASRecModel saves it (random values), for ``n_items`` items."""
    generator = torch.Generator().manual_seed(seed)
    state = {"item_embeddings.weight": torch.randn(n_items + 2, HIDDEN, generator=generator),
             "position_embeddings.weight": torch.randn(10, HIDDEN, generator=generator),
             "LayerNorm.weight": torch.ones(HIDDEN), "LayerNorm.bias": torch.zeros(HIDDEN),
             "cluster_centers": torch.randn(K, HIDDEN, generator=generator)}
    shapes = {"attention.query": (HIDDEN, HIDDEN), "attention.key": (HIDDEN, HIDDEN),
              "attention.value": (HIDDEN, HIDDEN), "attention.dense": (HIDDEN, HIDDEN),
              "intermediate.dense_1": (4 * HIDDEN, HIDDEN), "intermediate.dense_2": (HIDDEN, 4 * HIDDEN)}
    for layer in range(LAYERS):
        prefix = f"item_encoder.layer.{layer}."
        for name, shape in shapes.items():
            state[prefix + name + ".weight"] = torch.randn(*shape, generator=generator) * 0.1
            state[prefix + name + ".bias"] = torch.zeros(shape[0])
        for norm in ("attention.LayerNorm", "intermediate.LayerNorm"):
            state[prefix + norm + ".weight"], state[prefix + norm + ".bias"] = torch.ones(HIDDEN), torch.zeros(HIDDEN)
    return state


@pytest.fixture(scope="module")
def converted(tiny_loaders, tmp_path_factory):
    dataset = tiny_loaders[1]
    n_items = dataset.item_num - 1
    assert sorted(map(int, dataset.field2id_token["item_id"][1:])) == list(range(1, n_items + 1))
    folder = tmp_path_factory.mktemp("authors")
    state = authors_state(n_items)
    torch.save(state, folder / "ELCRec-tiny-1.pt")
    (folder / "ELCRec-tiny-1.txt").write_text("Namespace(hidden_act='gelu', num_attention_heads=4, seed=1)\n")
    return folder, state


def test_rows_follow_the_dataset_tokens_and_settings_come_from_file_and_log(converted, tiny_data_path):
    folder, state = converted
    out = convert_authors_checkpoint(folder / "ELCRec-tiny-1.pt", TINY_DATASET, folder / "c.pth", str(tiny_data_path))
    trained = load_trained(out, "cpu")
    model, dataset = trained.model, trained.dataset
    assert (trained.config["n_layers"], trained.config["n_heads"], trained.config["n_clusters"]) == (LAYERS, 4, K)
    assert trained.config["position_alignment"] == "end"
    for internal in (1, 7, dataset.item_num - 1):
        raw = int(dataset.id2token("item_id", internal))
        assert torch.equal(model.encoder.item_embedding.weight[internal], state["item_embeddings.weight"][raw])
    mask_row = model.encoder.item_embedding.weight[model.encoder.mask_token]
    assert torch.equal(mask_row, state["item_embeddings.weight"][-1])
    assert torch.equal(model.cluster_centres.detach(), state["cluster_centers"])
    query = model.encoder.transformer.layer[1].multi_head_attention.query.weight
    assert torch.equal(query, state["item_encoder.layer.1.attention.query.weight"])


def test_evaluate_prints_only_json(converted, tiny_data_path, capsys):
    folder, _ = converted
    out = convert_authors_checkpoint(folder / "ELCRec-tiny-1.pt", TINY_DATASET, folder / "e.pth", str(tiny_data_path))
    assert evaluate_main(["--checkpoint", str(out), "--protocol", "recbole", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["protocol"] == "recbole" and set(result["test"]) == {"hit@5", "hit@20", "ndcg@5", "ndcg@20"}


def test_item_count_mismatch_names_both_counts(converted, tiny_data_path, tmp_path):
    folder, state = converted
    n_items = state["item_embeddings.weight"].shape[0] - 2
    torch.save(authors_state(n_items + 5), tmp_path / "other.pt")
    with pytest.raises(ConversionError, match=rf"the checkpoint has {n_items + 5} items, dataset 'tiny' has {n_items}"):
        convert_authors_checkpoint(tmp_path / "other.pt", TINY_DATASET, tmp_path / "x.pth", str(tiny_data_path))
    assert not (tmp_path / "x.pth").exists()


@pytest.mark.parametrize(("content", "message"), [
    (b"not a checkpoint at all", "cannot be read as a PyTorch file"),
    ({"weight": torch.zeros(2)}, "is not a checkpoint of the authors' ELCRec code: missing item_embeddings.weight"),
    ([torch.zeros(2)], "holds a list, not a state_dict of tensors"),
])
def test_files_that_are_not_such_checkpoints_are_named(content, message, tiny_data_path, tmp_path):
    path = tmp_path / "model.pt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        torch.save(content, path)
    with pytest.raises(ConversionError, match=message):
        convert_authors_checkpoint(path, TINY_DATASET, tmp_path / "x.pth", str(tiny_data_path))
