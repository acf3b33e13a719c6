"""Text corpora for activation collection, streamed one bounded document at a time.

The default corpus, `python-docs`, is real English text that every Python installation carries
and that needs no download: the Python language reference topics shipped in the standard
library's `pydoc_data` package (the text of `help("topics")`), followed by the docstrings of the
standard library's modules, classes and functions, read from the source files with `ast`
(nothing is imported). It is fixed for a given Python version.

Users pass their own text instead: a .txt or .md file, a folder of such files (and .jsonl), a
.jsonl file with one JSON object per line, or a dataset saved with `datasets`' `save_to_disk`.
Files must be UTF-8 text: a binary file (or UTF-16, or Latin-1 text) is refused, naming it.
"""

from __future__ import annotations

import ast
import codecs
import json
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

from saeinit.config import ConfigError

DEFAULT_CORPUS = "python-docs"
MAX_DOCUMENT_CHARS = 20_000
"""Longer texts are cut into documents of at most about this many characters (at paragraph or
line ends where possible), so that memory stays bounded whatever a file's size."""
TEXT_SUFFIXES = (".txt", ".md", ".rst")
SAVED_DATASET_FILES = ("dataset_info.json", "state.json")
_STDLIB_SKIP = {"site-packages", "dist-packages", "idlelib", "lib2to3", "turtledemo", "ensurepip"}
CHECKED_BYTES = 1 << 20
"""Each file of a user corpus is checked to be UTF-8 text this many bytes at a time, the whole
file before collection starts (memory stays bounded whatever its size)."""
MIN_DOCSTRING_CHARS = 200
"""Shorter docstrings (one-liners) are left out of python-docs: little text, much repetition."""


def describe(corpus: str) -> dict:
    """What the manifest records about a corpus."""
    if corpus == DEFAULT_CORPUS:
        return {
            "name": DEFAULT_CORPUS,
            "source": "pydoc_data.topics, then standard-library docstrings",
            "python": sys.version.split()[0],
        }
    return {"name": str(corpus), "source": "user"}


def documents(corpus: str, text_field: str = "text") -> Iterator[str]:
    """The corpus's documents in a fixed order, each at most about MAX_DOCUMENT_CHARS long
    and never empty. Raises ConfigError for a path that does not exist or holds no text."""
    if corpus == DEFAULT_CORPUS:
        return _nonempty(_python_docs())
    path = Path(corpus).expanduser()
    if not path.exists():
        raise ConfigError(
            "corpus",
            f"{corpus!r} is neither {DEFAULT_CORPUS!r} nor an existing file or folder",
        )
    return _nonempty(_path_documents(path, text_field))


def check_corpus(corpus: str, text_field: str = "text") -> None:
    """Fail now, before the model loads or anything is written, if the corpus would stop a
    collection part-way: a file that is not UTF-8 text, a .jsonl line that is not JSON or lacks
    the text field, a saved dataset without it (a user corpus is read through once), or no
    document at all."""
    if corpus != DEFAULT_CORPUS:
        path = Path(corpus).expanduser()
        if path.exists() and not _is_saved_dataset(path):
            for file in _files(path):
                check_text_file(file)
    docs = documents(corpus, text_field)
    if next(docs, None) is None:
        raise ConfigError("corpus", f"{corpus!r} holds no text")
    if corpus != DEFAULT_CORPUS:  # python-docs is ours and fixed: its first document will do
        for _doc in docs:  # each record checked as a collection would read it
            pass


def check_text_file(path: Path) -> None:
    """Raise a ConfigError naming the file and the offset if it holds a NUL byte (a binary
    file) or bytes that are not UTF-8, reading it CHECKED_BYTES at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    offset = 0  # of the chunk being read
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHECKED_BYTES):
                if b"\0" in chunk:
                    raise ConfigError(
                        "corpus",
                        f"{path} is not text: a NUL byte at offset {offset + chunk.index(0)} (a "
                        "binary file, or text in UTF-16; convert it to UTF-8)",
                    )
                _decode(decoder, chunk, offset, path)
                offset += len(chunk)
            _decode(decoder, b"", offset, path)
    except OSError as err:
        raise ConfigError("corpus", f"cannot read {path}: {err.strerror or err}") from err


def _decode(decoder: codecs.IncrementalDecoder, chunk: bytes, offset: int, path: Path) -> None:
    """Decode the chunk of `path` at `offset` (the end of the file when it is empty)."""
    pending = len(decoder.getstate()[0])  # the bytes of a character the last chunk cut
    try:
        decoder.decode(chunk, final=not chunk)
    except UnicodeDecodeError as err:
        raise ConfigError(
            "corpus",
            f"{path} is not UTF-8 text (byte {err.object[err.start]:#04x} at offset "
            f"{offset - pending + err.start} cannot be decoded): a binary file, or text to "
            "convert to UTF-8",
        ) from err


def _nonempty(docs: Iterator[str]) -> Iterator[str]:
    for doc in docs:
        if doc.strip():
            yield doc


def _python_docs() -> Iterator[str]:
    from pydoc_data.topics import topics

    for name in sorted(topics):
        yield from _split(topics[name])
    root = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if any(p in _STDLIB_SKIP or p.startswith("test") for p in parts):
            continue
        for doc in source_docstrings(path):
            yield from _split(doc)


def source_docstrings(path: Path) -> Iterator[str]:
    """The docstrings of at least MIN_DOCSTRING_CHARS in one Python source file (its module,
    classes and functions, in ast.walk's order); none from a file that does not parse."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, OSError, ValueError):
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node)
            if doc and len(doc) >= MIN_DOCSTRING_CHARS:
                yield doc


def _split(text: str) -> Iterator[str]:
    """Cut a text into pieces of at most MAX_DOCUMENT_CHARS, at line ends where possible."""
    while len(text) > MAX_DOCUMENT_CHARS:
        cut = text.rfind("\n", 0, MAX_DOCUMENT_CHARS)
        cut = cut if cut > MAX_DOCUMENT_CHARS // 2 else MAX_DOCUMENT_CHARS
        yield text[:cut]
        text = text[cut:]
    yield text


def _is_saved_dataset(path: Path) -> bool:
    return path.is_dir() and any((path / name).exists() for name in SAVED_DATASET_FILES)


def _files(path: Path) -> list[Path]:
    """The text files of a user corpus: the file itself, or a folder's text and .jsonl files."""
    if not path.is_dir():
        return [path]
    return sorted(
        p for p in path.rglob("*") if p.is_file() and p.suffix in (*TEXT_SUFFIXES, ".jsonl")
    )


def _path_documents(path: Path, text_field: str) -> Iterator[str]:
    if _is_saved_dataset(path):
        yield from _saved_dataset(path, text_field)
        return
    for file in _files(path):
        yield from _file_documents(file, text_field)


def _file_documents(path: Path, text_field: str) -> Iterator[str]:
    """A file's documents, decoded strictly: bytes that are not UTF-8, or a NUL byte in a text
    file (in a .jsonl file it is not JSON), stop the stream with a ConfigError naming the file."""
    jsonl = path.suffix == ".jsonl"
    try:
        for doc in _jsonl(path, text_field) if jsonl else _text_file(path):
            if not jsonl and "\0" in doc:
                raise ConfigError("corpus", f"{path} is not text: it holds a NUL byte")
            yield doc
    except UnicodeDecodeError as err:
        raise ConfigError(
            "corpus", f"{path} is not UTF-8 text ({err.reason} after its first bytes)"
        ) from err


def _text_file(path: Path) -> Iterator[str]:
    """The paragraphs of a text file (separated by blank lines) as documents, read line by
    line; a paragraph longer than MAX_DOCUMENT_CHARS is cut into several."""
    try:
        handle = path.open(encoding="utf-8", errors="strict")
    except OSError as err:
        raise ConfigError("corpus", f"cannot read {path}: {err}") from err
    with handle:
        pending: list[str] = []
        size = 0
        for line in handle:
            if not line.strip():
                if pending:
                    yield "".join(pending)
                pending, size = [], 0
                continue
            for piece in _split(line) if len(line) > MAX_DOCUMENT_CHARS else (line,):
                if size + len(piece) > MAX_DOCUMENT_CHARS and pending:
                    yield "".join(pending)
                    pending, size = [], 0
                pending.append(piece)
                size += len(piece)
        if pending:
            yield "".join(pending)


def _jsonl(path: Path, text_field: str) -> Iterator[str]:
    with path.open(encoding="utf-8", errors="strict") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ConfigError("corpus", f"{path} line {number} is not JSON: {err}") from err
            if not isinstance(record, dict) or text_field not in record:
                raise ConfigError("text-field", f"{path} line {number} has no field {text_field!r}")
            yield from _split(str(record[text_field]))


def _saved_dataset(path: Path, text_field: str) -> Iterator[str]:
    try:
        import datasets
    except ImportError as err:
        raise ConfigError(
            "corpus", f"{path} is a saved dataset; reading it needs `pip install datasets`"
        ) from err
    dataset = datasets.load_from_disk(str(path))
    if isinstance(dataset, datasets.DatasetDict):
        dataset = dataset["train"] if "train" in dataset else next(iter(dataset.values()))
    if text_field not in dataset.column_names:
        raise ConfigError(
            "text-field",
            f"the dataset at {path} has no column {text_field!r}: {dataset.column_names}",
        )
    for record in dataset.select_columns([text_field]):
        yield from _split(str(record[text_field]))
