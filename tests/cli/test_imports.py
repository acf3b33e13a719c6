"""What importing the CLI loads: heavy libraries load only in the commands that use them."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "numpy", "sklearn", "optuna", "matplotlib", "transformers", "ray", "tqdm")


def loaded_after(code: str) -> dict:
    """Run `code` in a fresh interpreter; it prints a JSON value as its last line."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_cli_and_every_help_load_no_heavy_library():
    """`saeinit --help`, `saeinit inits` and every command's --help list options built from
    the config dataclasses alone: neither torch nor any other heavy library loads."""
    loaded = loaded_after(
        "import contextlib, io, json, sys\n"
        "from saeinit.cli import cli, main\n"
        "calls = [['--help'], ['inits']] + [[name, '--help'] for name in cli.commands]\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    codes = [main(args) for args in calls]\n"
        f"print(json.dumps([codes, len(calls), [m for m in {HEAVY!r} if m in sys.modules]]))\n"
    )
    codes, calls, heavy = loaded
    assert calls >= 10 and codes == [0] * calls
    assert heavy == []


def test_sklearn_threads_limits_the_libraries_the_inits_load():
    """The inits import scikit-learn when they run; the thread cap taken before must still cover
    every BLAS and OpenMP library their estimators use."""
    result = loaded_after(
        "import json, torch\n"
        "from threadpoolctl import threadpool_info\n"
        "from saeinit.inits.request import sklearn_threads\n"
        "torch.set_num_threads(1)\n"
        "with sklearn_threads():\n"
        "    limited = {i['filepath']: i['num_threads'] for i in threadpool_info()}\n"
        "import sklearn.cluster, sklearn.ensemble, sklearn.mixture, sklearn.neighbors\n"
        "used = sorted(i['filepath'] for i in threadpool_info())\n"
        "print(json.dumps({'limited': limited, 'used': used}))\n"
    )
    assert sorted(result["limited"]) == result["used"]
    assert set(result["limited"].values()) == {1}
