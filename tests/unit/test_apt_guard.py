"""scripts/apt-guard.sh: the provisioning scripts install only what they name (issue 16).

apt-get and dpkg-query are replaced by fakes on PATH that print a canned simulation and log every call, so the
guard's decision (install or refuse) is checked without touching this machine's packages.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GUARD = REPO / "scripts" / "apt-guard.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")

# The shape of `apt-get -s install` output: `Inst NAME [OLD] (NEW ...)` is an upgrade, without [OLD] a new package.
PLAN_CLEAN = """\
NOTE: This is only a simulation!
Inst containerd (1.7.24~ds1-6+b4 Debian:13.2/stable [amd64])
Inst docker.io (26.1.5+dfsg1-9+b9 Debian:13.2/stable [amd64])
Inst docker-cli [20.10.24+dfsg1-1+b3] (26.1.5+dfsg1-9+b9 Debian:13.2/stable [amd64])
Conf containerd (1.7.24~ds1-6+b4 Debian:13.2/stable [amd64])
"""
PLAN_UPGRADES = """\
Inst libc6 [2.36-9+deb12u14] (2.41-12 Debian:13.2/stable [amd64]) []
Inst base-files [12.4+deb12u11] (13.8 Debian:13.2/stable [amd64])
Remv python3-yaml [6.0-3+b2]
Inst docker.io (26.1.5+dfsg1-9+b9 Debian:13.2/stable [amd64])
Inst libc-bin:amd64 [2.36-9+deb12u14] (2.41-12 Debian:13.2/stable [amd64])
"""


@pytest.fixture
def fake_apt(tmp_path):
    """A PATH whose apt-get prints $FAKE_PLAN for -s and logs real installs; dpkg-query answers from a file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt.log"
    versions = tmp_path / "versions"
    versions.write_text("base-files 12.4\nlibc6 2.36\npython3 3.11.2\napt 2.6.1\n")
    (bin_dir / "apt-get").write_text(
        "#!/bin/bash\n"
        f'echo "$*" >> {log}\n'
        'if [ "$1" = "-s" ]; then cat "$FAKE_PLAN"; exit 0; fi\n'
        # a real install that changes libc6 when FAKE_BUMP is set: the after-install check must catch it
        f'if [ -n "${{FAKE_BUMP:-}}" ]; then sed -i "s/^libc6 .*/libc6 2.41/" {versions}; fi\n'
    )
    (bin_dir / "dpkg-query").write_text(
        "#!/bin/bash\n"
        f'awk -v p="${{@: -1}}" \'$1 == p {{ printf "%s", $2; found = 1 }} END {{ exit !found }}\' {versions}\n'
    )
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_PLAN": str(tmp_path / "plan")}

    def run(plan: str, *packages: str, **extra_env: str) -> subprocess.CompletedProcess:
        (tmp_path / "plan").write_text(plan)
        script = f'source {GUARD}; apt_guarded_install "$@"'
        return subprocess.run(
            ["bash", "-c", script, "guard", *packages],
            env={**env, **extra_env},
            capture_output=True,
            text=True,
        )

    run.log = log
    return run


def installs(log: Path) -> list[str]:
    lines = log.read_text().splitlines() if log.exists() else []
    return [line for line in lines if not line.startswith("-s ")]


def test_a_plan_that_changes_only_named_packages_installs(fake_apt):
    result = fake_apt(PLAN_CLEAN, "docker.io/trixie", "docker-cli/trixie")
    assert result.returncode == 0, result.stderr
    assert installs(fake_apt.log) == ["install -y -qq --no-install-recommends docker.io/trixie docker-cli/trixie"]


def test_a_plan_that_upgrades_or_removes_unnamed_packages_is_refused_with_the_list(fake_apt):
    result = fake_apt(PLAN_UPGRADES, "docker.io/trixie")
    assert result.returncode == 1
    assert "upgrade libc6 2.36-9+deb12u14 -> 2.41-12" in result.stderr
    assert "upgrade base-files 12.4+deb12u11 -> 13.8" in result.stderr
    assert "upgrade libc-bin 2.36-9+deb12u14 -> 2.41-12" in result.stderr
    assert "remove python3-yaml" in result.stderr
    assert "docker.io" not in result.stderr.split("does not name:")[1]
    assert installs(fake_apt.log) == [], "nothing may be installed when the plan is refused"


def test_an_upgrade_the_caller_names_is_allowed(fake_apt):
    result = fake_apt(PLAN_UPGRADES, "docker.io", "libc6/trixie", "base-files=13.8", "libc-bin", "python3-yaml")
    assert result.returncode == 0, result.stderr
    assert len(installs(fake_apt.log)) == 1


def test_a_core_package_changed_by_the_install_fails_the_run(fake_apt):
    result = fake_apt(PLAN_CLEAN, "docker.io/trixie", "docker-cli/trixie", FAKE_BUMP="1")
    assert result.returncode == 1
    assert "libc6 2.41" in result.stderr


def test_the_provisioning_scripts_never_set_a_target_release():
    for script in ("provision-docker.sh", "provision-test-tools.sh", "apt-guard.sh"):
        text = (REPO / "scripts" / script).read_text()
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        assert "-t trixie" not in code and "--target-release" not in code, script
        if script != "apt-guard.sh":
            assert "apt_guarded_install" in code and "apt-get install" not in code, script
