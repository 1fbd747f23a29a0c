"""`devstack offline-images`, command.py: the command-line contract."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from devstack.offline_images import register, run


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="devstack")
    register(parser.add_subparsers(dest="command", required=True))
    return parser


def test_register_adds_the_subcommand_and_its_options() -> None:
    args = _parser().parse_args(
        ["offline-images", "--extra-ca", "/ca.pem", "--mirror", "http://m/debian", "--only", "redis"]
        + ["--only", "python", "--rebuild", "--no-record", "--if-unpullable"]
    )
    assert args.func is run
    assert (args.extra_ca, args.mirror, args.only) == ("/ca.pem", "http://m/debian", ["redis", "python"])
    assert args.rebuild and args.no_record and args.if_unpullable


def test_register_defaults() -> None:
    args = _parser().parse_args(["offline-images"])
    assert (args.extra_ca, args.mirror, args.only, args.rebuild, args.no_record, args.if_unpullable) == (
        None,
        None,
        None,
        False,
        False,
        False,
    )


def test_run_with_a_bad_ca_file_fails_before_docker_and_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "not-a-cert.txt"
    bad.write_text("hello\n", encoding="utf-8")
    args = _parser().parse_args(["offline-images", "--extra-ca", str(bad)])
    assert run(args) == 1
    assert f"devstack offline-images: error: --extra-ca {bad}: no PEM certificate" in capsys.readouterr().err
