"""Item attributes for S3Rec: the public S3Rec release's item2attributes JSON as a RecBole ``.item`` file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

from recbole_elcrec.data.prepare import DataFormatError, DownloadError, download_verified
from recbole_elcrec.utils.io import atomic_write

S3REC_REPOSITORY = "aHuiWang/CIKM2020-S3Rec"
S3REC_COMMIT = "49a890dcb516c9ed3126564495234ea74d5cd566"
S3REC_BASE_URL = f"https://raw.githubusercontent.com/{S3REC_REPOSITORY}/{S3REC_COMMIT}"
ATTRIBUTE_FIELD = "class"  # RecBole's S3Rec reads the attributes from this item field (its item_attribute)
ITEM_HEADER = f"item_id:token\t{ATTRIBUTE_FIELD}:token_seq"
# dataset name -> (file in the S3Rec repository's data/ folder, SHA-256)
ATTRIBUTE_FILES: dict[str, tuple[str, str]] = {
    "amazon-beauty": ("Beauty_item2attributes.json",
                      "129e40f67486f6877eff0f5318cfa8530ee8ac23d8b0d1de04e1bb7a2ba0b2d4"),
    "amazon-sports-outdoors": ("Sports_and_Outdoors_item2attributes.json",
                               "7fb10733ac4f1811384a52144cdefa7fcc7536fa80a7232c5da9bd789155c34b"),
    "amazon-toys-games": ("Toys_and_Games_item2attributes.json",
                          "d371acd25101eedac04afc727626464b7acec770c4eda708705d51eb76eb1ad0"),
}
EXPECTED = 'expected a JSON object from item id to a list of attribute ids, e.g. {"4": [1, 2, 3]}'


def read_item_attributes(path: str | Path) -> dict[str, list[int]]:
    """Item id (as in the sequence file) -> attribute ids, validated; DataFormatError naming the file and item."""
    path = Path(path)
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataFormatError(f"{path}: file not found; {EXPECTED}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataFormatError(f"{path}: not readable as JSON ({error}); {EXPECTED}") from None
    if not isinstance(content, dict) or not content:
        raise DataFormatError(f"{path}: holds a {type(content).__name__}; {EXPECTED}")
    for item, attributes in content.items():
        if not (item.isdigit() and isinstance(attributes, list)
                and all(isinstance(value, int) and not isinstance(value, bool) and value > 0 for value in attributes)):
            raise DataFormatError(f"{path}: item {item!r} maps to {attributes!r}; {EXPECTED} (positive integers)")
    return content


def write_item_file(attributes: dict[str, list[int]], data_path: str | Path, name: str) -> Path:
    """``data_path/name/name.item`` (item id, attribute ids as a token sequence), written atomically."""
    def write(handle: IO[bytes]) -> None:
        handle.write((ITEM_HEADER + "\n").encode("utf-8"))
        for item, values in attributes.items():
            handle.write(f"{item}\t{' '.join(map(str, values))}\n".encode())

    return atomic_write(Path(data_path) / name / f"{name}.item", write)


def download_attributes(name: str, out_dir: str | Path) -> Path:
    """The S3Rec release's attribute file of benchmark ``name`` in ``out_dir/raw/``, SHA-256 verified."""
    if name not in ATTRIBUTE_FILES:
        raise DownloadError(f"no public attribute file is known for {name!r}; known: {', '.join(ATTRIBUTE_FILES)}")
    file_name, expected = ATTRIBUTE_FILES[name]
    url = f"{S3REC_BASE_URL}/data/{file_name}"
    by_hand = (f"Fetch it by hand on a machine with internet access and pass it as --attributes "
               f"/path/to/{file_name}")
    return download_verified(url, Path(out_dir) / "raw" / file_name, expected, by_hand)
