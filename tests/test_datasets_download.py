"""The MNIST download of ``load_mnist`` (the path of a pip user, who has no data/ folder).

No real network: a local HTTP server on 127.0.0.1, in a thread, plays the mirror. It serves
the bundled files, or misbehaves on request: cuts the connection, trickles one byte at a
time, sends damaged bytes or 404. Every test checks what is left on disk afterwards.
"""

import hashlib
import http.server
import os
import stat
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from nnlib import DatasetError, load_mnist
from nnlib import datasets

BUNDLED = Path(datasets.__file__).resolve().parent.parent / "data" / "mnist"
FILES = [name for name, _ in datasets.MNIST_FILES.values()]
LABELS = "t10k-labels-idx1-ubyte.gz"


class Mirror(http.server.BaseHTTPRequestHandler):
    behaviour = {}   # file name -> "ok" (default), "cut", "trickle", "damaged", "missing"
    requests = []

    def log_message(self, *args):  # keep the test output clean
        pass

    def do_GET(self):
        name = self.path.rsplit("/", 1)[-1]
        Mirror.requests.append(name)
        how = Mirror.behaviour.get(name, "ok")
        if how == "missing" or not (BUNDLED / name).exists():
            self.send_error(404)
            return
        body = (BUNDLED / name).read_bytes()
        if how == "damaged":
            body = body[:100] + bytes(b ^ 0xFF for b in body[100:200]) + body[200:]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if how == "cut":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
        elif how == "trickle":
            try:
                for i in range(len(body)):
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:  # the client gave up
                pass
        else:
            self.wfile.write(body)


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Mirror)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def mirror(server, monkeypatch, tmp_path):
    """The local mirror, an empty NNLIB_DATA_DIR and a normal umask."""
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setattr(datasets, "MNIST_MIRROR", server)
    monkeypatch.setenv("NNLIB_DATA_DIR", str(tmp_path))
    Mirror.behaviour, Mirror.requests = {}, []
    old_umask = os.umask(0o022)
    yield tmp_path / "mnist"
    os.umask(old_umask)


def _left(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_download_verifies_renames_and_uses_normal_permissions(mirror):
    (x, t), (x_test, t_test) = load_mnist(normalize=False)
    assert x.shape == (60000, 784) and t_test.shape == (10000,)
    assert sorted(Mirror.requests) == sorted(FILES)
    assert _left(mirror) == sorted(FILES)  # no temporary files left
    for name in FILES:
        path = mirror / name
        assert path.read_bytes() == (BUNDLED / name).read_bytes()
        assert stat.S_IMODE(path.stat().st_mode) == 0o644  # 0666 minus the umask 022
    Mirror.requests = []
    load_mnist()
    assert Mirror.requests == []  # the cache is used, nothing downloaded again


def test_pip_user_default_cache_is_created_under_home(server, mirror, monkeypatch, tmp_path):
    monkeypatch.delenv("NNLIB_DATA_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(datasets, "_BUNDLED", tmp_path / "no-repository" / "data" / "mnist")
    (tmp_path / "home").mkdir()
    _, (_, t_test) = load_mnist()
    cache = tmp_path / "home" / ".cache" / "nnlib" / "mnist"
    assert _left(cache) == sorted(FILES)
    assert np.bincount(t_test).tolist()[:2] == [980, 1135]


@pytest.mark.parametrize("how, message", [
    ("cut", r"downloading http://127\.0\.0\.1:\d+/t10k-labels-idx1-ubyte\.gz failed "
            r"\(.*(connection ended after \d+ of \d+ bytes|IncompleteRead).*\)"),
    ("damaged", r"the file downloaded from http://127\.0\.0\.1:\d+/t10k-labels-idx1-ubyte\.gz "
                r"is damaged: .*Nothing was saved"),
    ("missing", r"downloading .*t10k-labels-idx1-ubyte\.gz failed \(HTTP Error 404"),
])
def test_a_failed_download_saves_nothing_and_the_next_call_recovers(mirror, how, message):
    Mirror.behaviour = {LABELS: how}
    with pytest.raises(DatasetError, match=message) as info:
        load_mnist()
    assert "git checkout" not in str(info.value)
    assert LABELS not in _left(mirror)
    assert not [n for n in _left(mirror) if n.endswith(".part")]
    Mirror.behaviour = {}
    load_mnist()  # the mirror works again: so does load_mnist
    assert _left(mirror) == sorted(FILES)


def test_a_trickling_mirror_fails_at_the_overall_deadline(mirror, monkeypatch):
    monkeypatch.setattr(datasets, "DOWNLOAD_DEADLINE_S", 1.0)
    Mirror.behaviour = {name: "trickle" for name in FILES}  # one byte per 50 ms
    start = time.monotonic()
    with pytest.raises(DatasetError, match=r"took longer than 1 s in all"):
        load_mnist()
    assert time.monotonic() - start < 10
    assert _left(mirror) == []


def test_a_damaged_cached_file_is_downloaded_again(mirror):
    mirror.mkdir()
    for name in FILES:
        (mirror / name).write_bytes((BUNDLED / name).read_bytes())
    (mirror / LABELS).write_bytes((BUNDLED / LABELS).read_bytes()[:500])  # a cut old download
    _, (_, t_test) = load_mnist()
    assert Mirror.requests == [LABELS]
    assert (mirror / LABELS).read_bytes() == (BUNDLED / LABELS).read_bytes()
    assert t_test.shape == (10000,)


def test_ctrl_c_during_the_download_leaves_no_temporary_file(mirror, monkeypatch):
    class Response:
        headers = {"Content-Length": "1000"}

        def __init__(self):
            self.calls = 0

        def read1(self, n):
            self.calls += 1
            if self.calls > 1:
                raise KeyboardInterrupt
            return b"x" * 100

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: Response())
    with pytest.raises(KeyboardInterrupt):
        load_mnist()
    assert _left(mirror) == []  # the folder was created, nothing is left in it


def test_an_unwritable_cache_gives_a_dataset_error_with_the_fix(mirror, monkeypatch):
    real_open = os.open

    def refuse(path, *args, **kwargs):
        if str(path).endswith(".part"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(DatasetError, match=r"load_mnist: cannot write a file in .*mnist "
                                           r"\(Permission denied\)\. .*set NNLIB_DATA_DIR to a "
                                           r"folder you own"):
        load_mnist()
    assert _left(mirror) == []


def test_a_cache_path_that_is_a_file_gives_a_dataset_error(mirror):
    mirror.write_text("not a folder")
    with pytest.raises(DatasetError, match=r"load_mnist: cannot create the folder .*mnist"):
        load_mnist()
    assert mirror.read_text() == "not a folder"
    assert Mirror.requests == []


def test_a_mistyped_data_dir_variable_is_not_created(mirror, monkeypatch, tmp_path):
    typo = tmp_path / "dtaa"
    monkeypatch.setenv("NNLIB_DATA_DIR", str(typo))
    with pytest.raises(DatasetError, match=rf"load_mnist: NNLIB_DATA_DIR={typo} is not an "
                                           rf"existing folder\. Fix the variable"):
        load_mnist()
    assert not typo.exists() and Mirror.requests == []


def test_bundled_checksums_match_what_the_mirror_serves():
    # The mirror here serves the bundled bytes: they must be the published ones.
    for name, sha in datasets.MNIST_FILES.values():
        assert hashlib.sha256((BUNDLED / name).read_bytes()).hexdigest() == sha
