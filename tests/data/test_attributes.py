"""Item attributes for S3Rec: the S3Rec release's JSON checked, written as a RecBole .item file, downloaded verified."""

import hashlib
import json

import pytest

from recbole_elcrec.data import attributes
from recbole_elcrec.data.attributes import read_item_attributes, write_item_file
from recbole_elcrec.data.prepare import DataFormatError, DownloadError
from tests.data.test_prepare import beauty_sample, prepare, served  # noqa: F401 (fixtures)


def test_attributes_become_a_token_sequence_field(tmp_path):
    source = tmp_path / "attrs.json"
    source.write_text(json.dumps({"4": [1, 2, 3], "83": [4]}))
    path = write_item_file(read_item_attributes(source), tmp_path, "shop")
    assert path == tmp_path / "shop" / "shop.item"
    assert path.read_text().splitlines() == ["item_id:token\tclass:token_seq", "4\t1 2 3", "83\t4"]


@pytest.mark.parametrize(("content", "message"), [
    ("[1, 2]", "holds a list"), ('{"4": [1, "x"]}', "item '4' maps to \\[1, 'x'\\]"),
    ('{"a4": [1]}', "item 'a4'"), ('{"4": [1, 2', "not readable as JSON"), ("{}", "holds a dict"),
])
def test_a_malformed_attribute_file_is_named(content, message, tmp_path):
    source = tmp_path / "attrs.json"
    source.write_text(content)
    with pytest.raises(DataFormatError, match=rf"attrs.json: .*{message}"):
        read_item_attributes(source)


def test_prepare_writes_inter_and_item_and_refuses_bad_attributes_before_writing(tmp_path):
    sequences, good, bad = tmp_path / "seq.txt", tmp_path / "good.json", tmp_path / "bad.json"
    sequences.write_text("1 1 2 3\n2 2 3 4\n")
    good.write_text(json.dumps({str(item): [item % 2 + 1] for item in range(1, 5)}))
    bad.write_text("[]")
    assert prepare("--input", sequences, "--name", "bad", "--out", tmp_path / "out", "--attributes", bad) == 2
    assert not (tmp_path / "out" / "bad").exists()
    assert prepare("--input", sequences, "--name", "shop", "--out", tmp_path / "out", "--attributes", good) == 0
    assert (tmp_path / "out" / "shop" / "shop.item").read_text().count("\n") == 5


def test_download_fetches_the_attribute_file_verified(beauty_sample, served, tmp_path, monkeypatch):  # noqa: F811
    base, folder = served
    content = json.dumps({"1": [1], "2": [2], "3": [1], "4": [2], "5": [3]}).encode()
    (folder / "Beauty_item2attributes.json").write_bytes(content)
    monkeypatch.setattr(attributes, "S3REC_BASE_URL", base)
    monkeypatch.setitem(attributes.ATTRIBUTE_FILES, "amazon-beauty",
                        ("Beauty_item2attributes.json", hashlib.sha256(content).hexdigest()))
    out = tmp_path / "out"
    assert prepare("--download", "amazon-beauty", "--out", out, "--base-url", beauty_sample,
                   "--attributes", "download") == 0
    assert (out / "raw" / "Beauty_item2attributes.json").read_bytes() == content
    assert (out / "amazon-beauty" / "amazon-beauty.item").is_file()
    monkeypatch.setitem(attributes.ATTRIBUTE_FILES, "amazon-beauty", ("Beauty_item2attributes.json", "0" * 64))
    (out / "raw" / "Beauty_item2attributes.json").unlink()
    with pytest.raises(DownloadError, match="SHA-256 mismatch"):
        attributes.download_attributes("amazon-beauty", out)
    with pytest.raises(DownloadError, match="no public attribute file is known for 'yelp'"):
        attributes.download_attributes("yelp", out)
