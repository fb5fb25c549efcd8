"""`make demo` puts uv on the PATH of new shells (scripts/uv-on-path.sh, run by
scripts/install-system.sh), so that the README's `uv run gridgov …` works as written.

The script runs in a sandbox: a HOME of its own with uv only in ~/.local/bin (as pip
--user puts it), and an empty folder mounted over /usr/local/bin in a private mount
namespace, so the machine's own uv is hidden and nothing of the machine changes. A
new shell then gets the PATH a fresh shell gets (env -i, /etc/profile).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "uv-on-path.sh"


def _can_sandbox() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "true"], capture_output=True
    )
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(
    not _can_sandbox(), reason="needs root and unshare --mount to hide /usr/local/bin"
)

# In the sandbox: hide /usr/local/bin, check that a new shell does not find uv, run the
# script (as $AS: root, or a user who may not sudo), then ask new shells again.
SCENARIO = r"""
set -eu
mount --bind "$SANDBOX_BIN" /usr/local/bin
as() { if [ "$AS" = root ]; then "$@"; else /usr/sbin/runuser -u "$AS" -- "$@"; fi; }
ask() { as env -i HOME="$HOME" bash "$1" 'command -v uv || echo none' 2>/dev/null | tail -1; }
export HOME="$SANDBOX_HOME" PATH="$SANDBOX_HOME/.local/bin:/usr/bin:/bin"
echo "before: $(ask -lc)"
as env HOME="$HOME" PATH="$PATH" "$SCRIPT"
echo "login after: $(ask -lc)"
grep -h '^ *export PATH=' "$SANDBOX_OUT" | sed 's/^ *//' >> "$HOME/.bashrc" || true
echo "interactive after: $(ask -ic)"
"""


def sandboxed(tmp_path: Path, user: str) -> dict[str, str]:
    """Run the scenario as ``user`` (in ``tmp_path``, which they must be able to reach);
    what new shells found before and after."""
    home, local_bin, bin_dir = tmp_path / "home", tmp_path / "home/.local/bin", tmp_path / "bin"
    local_bin.mkdir(parents=True)
    bin_dir.mkdir()
    uv = shutil.which("uv")
    assert uv is not None
    # A copy: the machine's uv may live in (or link into) the hidden /usr/local/bin.
    shutil.copy2(os.path.realpath(uv), local_bin / "uv")
    out = tmp_path / "script.out"
    if user != "root":
        shutil.chown(tmp_path, user)
        for path in [home, home / ".local", local_bin, local_bin / "uv"]:
            shutil.chown(path, user)
    env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "SANDBOX_BIN": str(bin_dir),
        "SANDBOX_HOME": str(home),
        "SANDBOX_OUT": str(out),
        "SCRIPT": str(SCRIPT),
        "AS": user,
    }
    script = f'exec > >(tee "{out}") 2>&1\n' + SCENARIO
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "bash", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    said = out.read_text()
    found = {
        key: line.split(": ", 1)[1].strip()
        for line in said.splitlines()
        for key in ("before", "login after", "interactive after")
        if line.startswith(key + ": ")
    }
    found["said"] = said
    found["linked"] = str(sorted(p.name for p in bin_dir.iterdir()))
    return found


def test_as_root_a_new_login_shell_finds_uv(tmp_path: Path) -> None:
    found = sandboxed(tmp_path, "root")
    assert found["before"] == "none", found["said"]  # the sandbox hides the machine's uv
    assert found["login after"] == "/usr/local/bin/uv", found["said"]
    assert "linked /usr/local/bin/uv" in found["said"]
    assert found["linked"] == "['uv']"  # into the sandbox's /usr/local/bin, not the machine's
    version = subprocess.run(
        [str(tmp_path / "bin" / "uv"), "--version"], capture_output=True, text=True
    )
    assert version.returncode == 0 and version.stdout.startswith("uv ")


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A folder another user can reach (pytest's tmp_path is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="gridgov-uv-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def test_without_sudo_it_says_the_line_that_makes_new_shells_find_uv(open_tmp: Path) -> None:
    tmp_path = open_tmp
    found = sandboxed(tmp_path, "nobody")
    assert found["before"] == "none", found["said"]
    assert "note: uv is in" in found["said"] and "export PATH=" in found["said"]
    assert found["linked"] == "[]"  # it may not write /usr/local/bin
    # With the line it printed added to ~/.bashrc, as it says, a new shell finds uv.
    assert found["interactive after"] == str(tmp_path / "home/.local/bin/uv"), found["said"]
