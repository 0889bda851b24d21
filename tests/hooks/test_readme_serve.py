"""The README's first command, run as written from a clean checkout.

`make serve` must set everything up, build the site in strict mode (any warning
aborts it) and answer on the address it prints. This clones the committed tree
(HEAD) into a temporary folder, runs the command there on a free port until the
home page answers, then stops it. It is slow (a fresh virtual environment and npm
install), so it runs alongside the other unit files.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Long enough for a fresh venv (PyTorch's local wheel included) and npm ci on two busy cores.
SETUP_AND_BUILD_SECONDS = 900


def readme_commands() -> list[str]:
    """The numbered commands of the README's "Two commands" block, as written."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Two commands.*?```sh\n(?P<body>.*?)```", text, re.S)
    assert block, "README.md has no 'Two commands' sh block"
    return [line.split("#")[0].strip() for line in block["body"].splitlines() if line.strip()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_readme_names_make_serve_then_make_test():
    assert readme_commands() == ["make serve", "make test"]


def test_make_serve_from_a_clean_checkout_answers(tmp_path):
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True)
    if head.returncode:
        pytest.skip("not a git checkout")
    checkout = tmp_path / "saferlhub"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(checkout)], check=True)
    port = free_port()
    # The command exactly as the README writes it; only the port is chosen (Makefile: PORT ?= 8000).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTEST"))}
    env.update(PORT=str(port), SITE_DIR="site")
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            readme_commands()[0].split(),
            cwd=checkout,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/saferlhub/"
    try:
        deadline = time.monotonic() + SETUP_AND_BUILD_SECONDS
        while True:
            if server.poll() is not None:
                pytest.fail(f"`make serve` exited with {server.returncode}:\n{tail(log)}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    body = response.read().decode("utf-8", "replace")
                break
            except OSError:
                if time.monotonic() > deadline:
                    waited = SETUP_AND_BUILD_SECONDS
                    pytest.fail(f"{url} did not answer in {waited} s:\n{tail(log)}")
                time.sleep(2)
        assert response.status == 200
        assert "<title>" in body and "SafeRLHub" in body
        printed = log.read_text(encoding="utf-8", errors="replace")
        assert f"http://127.0.0.1:{port}/saferlhub/" in printed, "the address is not printed"
        # MkDocs's own warnings (strict mode would refuse them); pip's notes about this
        # machine's package mirrors are not the site's to act on.
        assert not re.search(r"^(WARNING|ERROR) +-", printed, re.M), f"MkDocs warned:\n{tail(log)}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
