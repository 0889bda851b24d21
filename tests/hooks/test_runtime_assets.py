"""hooks/runtime_assets.py: the pinned runtime copied in, the Python package zipped."""

import io
import json
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


def test_the_battery_sets_are_drawn_by_the_package_itself():
    from saferlhub.maze import battery_sets

    packed = json.loads(runtime_assets.battery_sets_json())
    assert packed == json.loads(json.dumps(battery_sets.build()))
    assert runtime_assets.BATTERY_SETS == battery_sets.FILE_NAME


def test_the_real_package_zip_contains_the_runtime():
    archive = runtime_assets.package_python(runtime_assets.PYSCRIPTS / "saferlhub")
    names = zipfile.ZipFile(io.BytesIO(archive)).namelist()
    assert "runtime.py" in names and "__init__.py" in names


def test_onnxruntime_web_is_its_wasm_build_only():
    ort = {k: v for k, v in runtime_assets.VENDOR_FILES.items() if "onnxruntime" in k}
    assert "onnxruntime-web/ort.wasm.bundle.min.mjs" in ort
    assert "onnxruntime-web/ort-wasm-simd-threaded.wasm" in ort
    assert not any("webgpu" in k or "jsep" in k or "jspi" in k for k in ort)


def write_agent(models, name, files=("q_network.onnx", "q_gradient.onnx", "q_patch.onnx")):
    folder = models / name
    folder.mkdir(parents=True)
    card = {
        "name": f"agent {name}",
        "files": {
            "q_network": {"path": "q_network.onnx"},
            "q_gradient": {"path": "q_gradient.onnx"},
            "q_patch": {"path": "q_patch.onnx"},
        },
    }
    (folder / "model_card.json").write_text(json.dumps(card))
    for file in files:
        (folder / file).write_bytes(b"onnx " + name.encode())
    (folder / "training_log.jsonl").write_text("{}")  # not shipped


def test_every_agent_with_a_card_is_copied_and_indexed(tmp_path):
    models, dest = tmp_path / "models", tmp_path / "site" / "assets" / "models"
    for name in ("planted", "natural", "remedy"):
        write_agent(models, name)
    (models / "notes").mkdir()  # a folder without a card is not an agent
    index = runtime_assets.copy_models(models, dest)
    assert [a["agent"] for a in index["agents"]] == ["natural", "planted", "remedy"]
    assert json.loads((dest / "agents.json").read_text()) == index
    assert (dest / "remedy" / "q_network.onnx").read_bytes() == b"onnx remedy"
    assert sorted(p.name for p in (dest / "remedy").iterdir()) == [
        "model_card.json",
        "q_gradient.onnx",
        "q_network.onnx",
        "q_patch.onnx",
    ]


def test_a_missing_model_file_or_a_broken_card_fails_the_build(tmp_path):
    write_agent(tmp_path / "a", "planted", files=("q_network.onnx",))
    with pytest.raises(PluginError, match="q_gradient.onnx"):
        runtime_assets.copy_models(tmp_path / "a", tmp_path / "out")
    (tmp_path / "b" / "x").mkdir(parents=True)
    (tmp_path / "b" / "x" / "model_card.json").write_text("{not json")
    with pytest.raises(PluginError, match="not a model card"):
        runtime_assets.copy_models(tmp_path / "b", tmp_path / "out")
    with pytest.raises(PluginError, match="no model cards"):
        runtime_assets.copy_models(tmp_path / "empty", tmp_path / "out")


def test_the_committed_agents_are_shipped():
    names = {p.parent.name for p in runtime_assets.MODELS.glob("*/model_card.json")}
    assert {"natural", "planted"} <= names


def test_the_maze_download_figure_is_the_size_of_the_files_the_lab_fetches():
    parts = runtime_assets.maze_download_parts(mazes=b"[]" * 1000)
    pyodide = runtime_assets.NODE_MODULES / "pyodide"
    names = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip"]
    names.append("pyodide-lock.json")
    assert parts["python"] == sum((pyodide / name).stat().st_size for name in names)
    ort = runtime_assets.NODE_MODULES / "onnxruntime-web" / "dist"
    assert parts["onnxruntime"] == sum(
        (ort / name).stat().st_size
        for name in ["ort.wasm.bundle.min.mjs", "ort-wasm-simd-threaded.wasm"]
    )
    cards = sorted(runtime_assets.MODELS.glob("*/model_card.json"))
    assert parts["agents"] == len(cards) >= 3
    networks = 0
    for card_path in cards:
        files = json.loads(card_path.read_text())["files"]
        networks += sum(
            (card_path.parent / files[key]["path"]).stat().st_size
            for key in ("q_network", "q_gradient", "q_patch")
        )
    assert parts["networks"] == networks
    assert parts["mazes"] == 2000


def test_the_maze_download_note_states_each_part_and_the_exact_total():
    parts = {"python": 13_531_207, "onnxruntime": 14_312_951, "agents": 3, "networks": 4_859_603}
    parts["mazes"] = 282_247
    note = runtime_assets.maze_download_note(parts)
    assert 'data-bytes="32986008"' in note
    assert "downloads about 33.0 MB the first time" in note
    assert (
        "Python (13.5 MB), onnxruntime-web (14.3 MB), the three agents' networks (4.9 MB)" in note
    )
    assert "held-out mazes (0.3 MB)" in note


def test_the_download_note_goes_under_try_it_on_maze_pages_only():
    heading = '<h2 id="try-it">Try it<a class="headerlink" href="#try-it">&para;</a></h2>'
    page = f'<h1>Play</h1>{heading}<div class="maze-lab" data-python="maze-play"></div>'
    out = runtime_assets.add_maze_download_note(page, "maze/play.md", "<p>NOTE</p>")
    assert out == page.replace(heading, heading + "<p>NOTE</p>")
    other = f'{heading}<div class="pycell"></div>'
    assert runtime_assets.add_maze_download_note(other, "x.md", "<p>NOTE</p>") == other
    with pytest.raises(PluginError, match="maze/ood.md"):
        runtime_assets.add_maze_download_note(
            '<div data-python="maze-ood"></div>', "maze/ood.md", "<p>NOTE</p>"
        )
