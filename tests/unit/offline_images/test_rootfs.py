"""`devstack offline-images`, rootfs.py: preparing and cleaning up the debootstrap tree."""

from __future__ import annotations

from pathlib import Path

from devstack.offline_images.rootfs import mounts_below, prepare_rootfs


def test_prepare_rootfs_sets_sources_blocks_services_and_drops_caches_and_docs(tmp_path: Path) -> None:
    for directory in (
        "etc/apt/apt.conf.d",
        "etc/dpkg/dpkg.cfg.d",
        "usr/sbin",
        "var/cache/apt/archives/partial",
        "var/lib/apt/lists/partial",
        "usr/share/doc/bash",
        "usr/share/man/man1",
        "usr/share/locale/fr/LC_MESSAGES",
    ):
        (tmp_path / directory).mkdir(parents=True)
    files = {
        "etc/apt/sources.list": "deb http://old bookworm main\n",
        "var/cache/apt/archives/bash_5.2_amd64.deb": "",
        "var/cache/apt/pkgcache.bin": "",
        "var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease": "",
        "usr/share/doc/bash/copyright": "GPL",
        "usr/share/doc/bash/README.gz": "",
        "usr/share/man/man1/bash.1.gz": "",
        "usr/share/locale/locale.alias": "",
        "usr/share/locale/fr/LC_MESSAGES/bash.mo": "",
    }
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")

    prepare_rootfs(tmp_path, "deb http://new/debian bookworm main\n")

    assert (tmp_path / "etc/apt/sources.list").read_text(encoding="utf-8") == "deb http://new/debian bookworm main\n"
    policy = tmp_path / "usr/sbin/policy-rc.d"
    assert policy.stat().st_mode & 0o111 and "exit 101" in policy.read_text(encoding="utf-8")
    assert "path-exclude /usr/share/doc/*" in (tmp_path / "etc/dpkg/dpkg.cfg.d/opentera-devstack-slim").read_text()
    assert (tmp_path / "etc/apt/apt.conf.d/docker-clean").is_file()
    remaining = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert "usr/share/doc/bash/copyright" in remaining
    assert "usr/share/locale/locale.alias" in remaining
    for gone in (
        "var/cache/apt/archives/bash_5.2_amd64.deb",
        "var/cache/apt/pkgcache.bin",
        "var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease",
        "usr/share/doc/bash/README.gz",
        "usr/share/man/man1/bash.1.gz",
        "usr/share/locale/fr/LC_MESSAGES/bash.mo",
    ):
        assert gone not in remaining
    assert (tmp_path / "var/lib/apt/lists/partial").is_dir()


def test_mounts_below_the_rootfs_deepest_first_and_nothing_else() -> None:
    mounts = (
        "proc /proc proc rw 0 0\n"
        "proc /var/tmp/root/proc proc rw 0 0\n"
        "sysfs /var/tmp/root/sys sysfs rw 0 0\n"
        "none /var/tmp/root/sys/fs/cgroup tmpfs rw 0 0\n"
        "none /var/tmp/root2/proc proc rw 0 0\n"
        "none /var/tmp/root/my\\040dir tmpfs rw 0 0\n"
    )
    assert mounts_below(Path("/var/tmp/root"), mounts) == [
        "/var/tmp/root/sys/fs/cgroup",
        "/var/tmp/root/my dir",
        "/var/tmp/root/proc",
        "/var/tmp/root/sys",
    ]
