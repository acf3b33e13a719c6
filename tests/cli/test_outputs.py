"""The output-location checks every writing command makes before its work."""

import os

import pytest

from saeinit.cli.outputs import with_suffix, writable_file, writable_folder
from saeinit.config import ConfigError


def refusal(check, path, option="out") -> str:
    with pytest.raises(ConfigError) as err:
        check(path, option)
    assert err.value.option == option
    return err.value.message


def test_missing_folders_are_accepted_and_not_created(tmp_path):
    assert writable_file(tmp_path / "a" / "b" / "r.json", "json") == tmp_path / "a" / "b" / "r.json"
    assert writable_folder(tmp_path / "c" / "d", "save") == tmp_path / "c" / "d"
    assert list(tmp_path.iterdir()) == []


def test_existing_locations_of_the_right_kind_are_accepted(tmp_path):
    (tmp_path / "r.json").write_text("{}")
    assert writable_file(tmp_path / "r.json", "json") == tmp_path / "r.json"
    assert writable_folder(tmp_path, "out") == tmp_path


def test_a_file_in_the_way_is_refused(tmp_path):
    (tmp_path / "file").write_text("")
    below = tmp_path / "file" / "sub" / "r.json"
    assert "is a file, not a folder" in refusal(writable_file, below)
    assert "is a file, not a folder" in refusal(writable_folder, below.parent)
    assert "exists and is not a folder" in refusal(writable_folder, tmp_path / "file")
    assert "is a folder, not a file" in refusal(writable_file, tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert "is not writable" in refusal(writable_file, locked / "new" / "r.json")
        assert "is not writable" in refusal(writable_folder, locked)
    finally:
        locked.chmod(0o700)


def test_with_suffix_adds_a_missing_suffix_only():
    assert str(with_suffix("noext", ".npz")) == "noext.npz"
    assert str(with_suffix("d/x.npz", ".npz")) == "d/x.npz"
    assert str(with_suffix("x.tar", ".npz")) == "x.tar.npz"
