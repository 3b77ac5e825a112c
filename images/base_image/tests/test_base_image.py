"""Tests of the base image, run inside it by `nx run base_image:image-test`.

Every image built FROM this one runs them too, so they check what all Fornax
images promise: the astronomy stack imports, the notebook user can install
into the environment, and the Jupyter server starts and answers.

Only the standard library and pytest at module level: a missing package fails
its own test case instead of the whole collection.
"""

import importlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest

# Import names of the packages environment.yml adds, and of the upstream
# scipy-notebook stack the notebooks rely on.
SCIENCE_STACK = [
    "astropy",
    "astroquery",
    "pyvo",
    "regions",
    "reproject",
    "specutils",
    "healpy",
    "lightkurve",
    "firefly_client",
    "s3fs",
    "boto3",
    "numpy",
    "scipy",
    "matplotlib",
    "pandas",
    "h5py",
    "dask",
]

# The command-line tools apt.txt installs.
APT_TOOLS = ["curl", "file", "htop", "less", "rsync", "zip"]


@pytest.mark.parametrize("module", SCIENCE_STACK)
def test_science_stack_imports(module):
    importlib.import_module(module)


def test_astropy_does_arithmetic_with_units():
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    a = SkyCoord(ra=10.0 * u.deg, dec=20.0 * u.deg)
    b = SkyCoord(ra=10.0 * u.deg, dec=21.0 * u.deg)
    assert abs(a.separation(b).to(u.arcmin).value - 60.0) < 1e-6


@pytest.mark.parametrize("tool", APT_TOOLS)
def test_apt_tools_on_path(tool):
    assert shutil.which(tool), f"{tool} is not on PATH"


def test_runs_as_the_notebook_user():
    assert os.getuid() != 0, "the image must not run as root"


def test_notebook_user_can_install_into_the_environment():
    assert os.access(sys.prefix, os.W_OK), f"{sys.prefix} is not writable by uid {os.getuid()}"


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url, timeout):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read()


def test_jupyter_server_starts_and_answers(tmp_path):
    port = _free_port()
    token = uuid.uuid4().hex
    server = subprocess.Popen(
        [
            sys.executable, "-m", "jupyter", "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={tmp_path}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        answer = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                answer = _get(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=5)
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        assert server.poll() is None, f"jupyter lab exited with {server.returncode}:\n{server.stdout.read()}"
        assert answer is not None, "jupyter lab did not answer within 90 s"
        status, body = answer
        assert status == 200
        assert "started" in json.loads(body)
        status, page = _get(f"http://127.0.0.1:{port}/lab?token={token}", timeout=10)
        assert status == 200
        assert b"JupyterLab" in page
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
