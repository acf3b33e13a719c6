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


def test_bytes_past_the_checked_head_are_decoded_strictly(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "CHECKED_BYTES", 64)
    path = tmp_path / "late.txt"
    path.write_bytes(TEXT.encode() * 600 + b"\n\nthen \xff\xfe garbage\n")
    check_corpus(str(path))  # its head is text
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
