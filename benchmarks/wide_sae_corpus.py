"""A text corpus of several million tokens for `wide_sae.py`, from what is installed here.

The default `python-docs` corpus (pydoc_data's topics and the standard library's docstrings)
gives about 434,000 MiniLM tokens with Python 3.11, too few for 4M training tokens without
repeating each token many times. This writes a larger corpus of the same kind, with nothing
downloaded: python-docs first, then the docstrings (at least 200 characters, as python-docs
takes them) of the modules, classes and functions of the installed PyPI packages in
`PACKAGES`, each read from its source files with `ast` (nothing is imported), in a fixed order,
exact repeats left out (many libraries copy a docstring into every subclass). The result is a
.jsonl file, one {"text": ...} document a line, that `saeinit collect --corpus FILE` reads,
and beside it FILE.json with the packages' versions and the corpus's document count.

    python benchmarks/wide_sae_corpus.py [--out runs/wide/corpus.jsonl]
    python benchmarks/wide_sae_corpus.py --count CORPUS [--tokens N]

`--count` tokenizes a corpus as `saeinit collect` does (MiniLM's tokenizer, windows of 128,
special tokens left out) and prints how many tokens it holds, or, with `--tokens`, how many
distinct token ids its first N tokens hold (those a collection of N tokens stores).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Iterator
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

from saeinit.data.corpus import source_docstrings

PACKAGES = (
    ("numpy", "numpy"),
    ("scipy", "scipy"),
    ("pandas", "pandas"),
    ("scikit-learn", "sklearn"),
    ("statsmodels", "statsmodels"),
    ("sympy", "sympy"),
    ("networkx", "networkx"),
    ("matplotlib", "matplotlib"),
    ("torch", "torch"),
    ("transformers", "transformers"),
    ("docutils", "docutils"),
    ("nltk", "nltk"),
)
"""(distribution, import name) of the packages whose docstrings follow python-docs."""


def package_docstrings(module: str) -> Iterator[str]:
    """The docstrings of `module`'s source files (tests left out), in path order."""
    spec = find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return
    root = Path(next(iter(spec.submodule_search_locations)))
    for path in sorted(root.rglob("*.py")):
        if any(part.startswith("test") for part in path.relative_to(root).parts):
            continue
        yield from source_docstrings(path)


def corpus_documents() -> tuple[Iterator[str], dict]:
    """python-docs' documents, then each package's docstrings, exact repeats left out; and
    the versions of the packages it read."""
    from saeinit.data.corpus import _split, documents

    versions = {name: metadata.version(name) for name, _ in PACKAGES}

    def stream() -> Iterator[str]:
        seen: set[bytes] = set()
        yield from documents("python-docs")
        for _, module in PACKAGES:
            for doc in package_docstrings(module):
                digest = hashlib.blake2b(doc.encode(), digest_size=16).digest()
                if digest not in seen:
                    seen.add(digest)
                    yield from _split(doc)

    return stream(), versions


def write_corpus(out: Path) -> dict:
    """Write the corpus to `out` (.jsonl) and its description beside it; returns that."""
    import platform

    docs, versions = corpus_documents()
    out.parent.mkdir(parents=True, exist_ok=True)
    count = chars = 0
    scratch = out.with_suffix(".tmp")
    with scratch.open("w", encoding="utf-8") as handle:
        for doc in docs:
            handle.write(json.dumps({"text": doc}) + "\n")
            count, chars = count + 1, chars + len(doc)
    scratch.replace(out)
    info = {
        "python": platform.python_version(),
        "packages": versions,
        "documents": count,
        "characters": chars,
    }
    out.with_suffix(".json").write_text(json.dumps(info, indent=1))
    return info


def count_tokens(corpus: str, limit: int | None = None, context: int = 128) -> dict:
    """Tokens, distinct token ids and documents of `corpus` (its first `limit` tokens), cut
    and filtered as `saeinit collect` cuts and filters them."""
    from transformers import AutoTokenizer

    from saeinit.data.activations.hooks import resolve_model
    from saeinit.data.corpus import documents

    tokenizer = AutoTokenizer.from_pretrained(str(resolve_model("all-MiniLM-L6-v2")))
    tokens, docs, distinct = 0, 0, set()
    for doc in documents(corpus):
        encoded = tokenizer(
            doc,
            truncation=True,
            max_length=context,
            return_overflowing_tokens=True,
            return_special_tokens_mask=True,
        )
        docs += 1
        for ids, special in zip(encoded["input_ids"], encoded["special_tokens_mask"], strict=True):
            kept = [i for i, s in zip(ids, special, strict=True) if not s]
            if limit is not None:
                kept = kept[: limit - tokens]
            tokens += len(kept)
            distinct.update(kept)
        if limit is not None and tokens >= limit:
            break
    return {"tokens": tokens, "distinct": len(distinct), "documents": docs}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/wide/corpus.jsonl"))
    parser.add_argument("--count", default=None, help="a corpus whose tokens to count")
    parser.add_argument("--tokens", type=int, default=None, help="count only the first N")
    args = parser.parse_args(argv)
    if args.count is not None:
        counted = count_tokens(args.count, args.tokens)
        print(
            f"{args.count}: {counted['tokens']:,} tokens, {counted['distinct']:,} distinct "
            f"token ids, in {counted['documents']:,} documents"
        )
        return
    info = write_corpus(args.out)
    print(f"wrote {args.out}: {info['documents']:,} documents, {info['characters']:,} characters")


if __name__ == "__main__":
    main()
