"""hooks/runtime_assets.py: the pinned runtime copied in, the Python package zipped."""

import io
import zipfile

import pytest
import runtime_assets
from mkdocs.exceptions import PluginError


def test_every_pinned_runtime_file_exists_in_node_modules():
    # Guards against an npm upgrade that moves a file the site needs.
    missing = [
        src
        for src in runtime_assets.VENDOR_FILES.values()
        if not (runtime_assets.NODE_MODULES / src).exists()
    ]
    assert not missing


def test_a_missing_runtime_file_fails_the_build_and_names_it(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "present.js").write_text("ok")
    files = {"a.js": "pkg/present.js", "b.wasm": "pkg/absent.wasm"}
    with pytest.raises(PluginError, match="pkg/absent.wasm"):
        runtime_assets.copy_vendor_files(tmp_path, tmp_path / "out", files)
    assert not (tmp_path / "out").exists()  # nothing half-copied


def test_files_and_folders_are_copied(tmp_path):
    (tmp_path / "nm" / "lib" / "fonts").mkdir(parents=True)
    (tmp_path / "nm" / "lib" / "x.js").write_text("x")
    (tmp_path / "nm" / "lib" / "fonts" / "f.woff2").write_bytes(b"font")
    files = {"lib/x.js": "lib/x.js", "lib/fonts/": "lib/fonts/"}
    runtime_assets.copy_vendor_files(tmp_path / "nm", tmp_path / "out", files)
    assert (tmp_path / "out" / "lib" / "x.js").read_text() == "x"
    assert (tmp_path / "out" / "lib" / "fonts" / "f.woff2").read_bytes() == b"font"


def test_python_package_zip_is_reproducible_and_holds_only_sources(tmp_path):
    package = tmp_path / "saferlhub"
    (package / "sub" / "__pycache__").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "mod.py").write_text("X = 1\n")
    (package / "sub" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"junk")
    (package / "notes.txt").write_text("not python")
    first = runtime_assets.package_python(package)
    assert first == runtime_assets.package_python(package)
    names = zipfile.ZipFile(io.BytesIO(first)).namelist()
    assert names == ["__init__.py", "sub/mod.py"]


def test_the_real_package_zip_contains_the_runtime():
    archive = runtime_assets.package_python(runtime_assets.PYSCRIPTS / "saferlhub")
    names = zipfile.ZipFile(io.BytesIO(archive)).namelist()
    assert "runtime.py" in names and "__init__.py" in names
