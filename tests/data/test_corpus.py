import json

import pytest

from saeinit.config import ConfigError
from saeinit.data import corpus
from saeinit.data.corpus import check_corpus, documents

TEXT = "A first paragraph of plain text.\n\nA second one, with an accent: café.\n"


def test_text_and_jsonl_files_pass_and_give_their_documents(tmp_path):
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(json.dumps({"text": "naïve \u0000 escaped"}) + "\n")
    check_corpus(str(tmp_path))
    docs = list(documents(str(tmp_path)))
    assert docs == [
        "A first paragraph of plain text.\n",
        "A second one, with an accent: café.\n",
        "naïve \u0000 escaped",  # a JSON escape, not a binary file
    ]


@pytest.mark.parametrize(
    "content,expected",
    [
        (b"\x7fELF\x02\x01\x01\x00\x00\x00binary", "NUL byte at offset 7"),
        ("UTF-16 text".encode("utf-16"), "NUL byte"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(200, 256)), "not UTF-8 text"),
        ("caf\u00e9 in Latin-1".encode("latin-1"), r"byte 0xe9 at offset 3"),
    ],
    ids=["elf", "utf-16", "png", "latin-1"],
)
def test_a_binary_file_is_refused_naming_it(tmp_path, content, expected):
    path = tmp_path / "model.bin"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=expected) as err:
        check_corpus(str(path))
    assert err.value.option == "corpus" and str(path) in err.value.message
    assert "\n" not in str(err.value)


def test_a_binary_file_in_a_folder_is_named(tmp_path):
    (tmp_path / "a.txt").write_text(TEXT)
    (tmp_path / "b.txt").write_bytes(b"text\x00\x01\x02")
    (tmp_path / "c.bin").write_bytes(b"\x00\x01")  # not a text suffix: never read
    with pytest.raises(ConfigError, match="b.txt is not text"):
        check_corpus(str(tmp_path))


def test_bytes_past_the_first_chunk_are_refused_before_collection(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "CHECKED_BYTES", 64)
    path = tmp_path / "late.txt"
    head = TEXT.encode() * 600 + b"\n\nthen "
    path.write_bytes(head + b"\xff\xfe garbage\n")
    with pytest.raises(
        ConfigError, match=f"late.txt is not UTF-8 text \\(byte 0xff at offset {len(head)} "
    ):
        check_corpus(str(path))
    assert len(path.read_bytes()) > 4 * 8192  # more than text files are read at a time
    with pytest.raises(ConfigError, match="late.txt is not UTF-8 text"):
        list(documents(str(path)))
    path.write_bytes(TEXT.encode() * 600 + b"\n\nthen a \x00 NUL\n")
    with pytest.raises(ConfigError, match="late.txt is not text: it holds a NUL byte"):
        list(documents(str(path)))
    jsonl = tmp_path / "late.jsonl"
    jsonl.write_bytes(b'{"text": "ok"}\n' * 8 + b'{"text": "\xff"}\n')
    with pytest.raises(ConfigError, match="late.jsonl is not UTF-8 text"):
        list(documents(str(jsonl)))


def test_a_character_cut_by_a_chunk_boundary_is_text_and_a_cut_last_one_is_not(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(corpus, "CHECKED_BYTES", 4)
    path = tmp_path / "accents.txt"
    path.write_bytes("abcé déjà".encode())  # é is bytes 3-4: the first chunk ends inside it
    check_corpus(str(path))
    path.write_bytes("abcdefé".encode()[:-1])  # the file ends inside é, which starts at 6
    with pytest.raises(ConfigError, match="byte 0xc3 at offset 6 cannot be decoded"):
        check_corpus(str(path))


def test_a_jsonl_record_without_the_text_field_is_refused_before_collection(tmp_path):
    """The issue's late_bad.jsonl: 400 good records, then one without `text`."""
    path = tmp_path / "late_bad.jsonl"
    records = [{"text": f"document {i}"} for i in range(400)] + [{"body": "no text"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    with pytest.raises(ConfigError, match="late_bad.jsonl line 401 has no field 'text'") as err:
        check_corpus(str(path))
    assert err.value.option == "text-field"
