"""`smarchive user`: the workbench's users file holds argon2 hashes (never the password), mode 0600; the password
comes from a prompt or stdin, never a flag; bad input is one line and exit 2."""

from __future__ import annotations

import io
import stat

import pytest
from click.testing import CliRunner

from smarchive.cli import cli, main
from smarchive.workbench import users


def test_add_list_remove(tmp_path):
    archive = tmp_path / "archive"
    runner = CliRunner()
    added = runner.invoke(cli, ["user", "add", "anna", "--role", "archivist", "--password-stdin", "--archive",
                                str(archive)], input="ett långt lösenord\n", catch_exceptions=False)
    assert added.exit_code == 0, added.output
    path = archive / "workbench" / "users.toml"
    text = path.read_text(encoding="utf-8")
    assert "ett långt lösenord" not in text and "$argon2id$" in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert users.authenticate(path, "anna", "ett långt lösenord") == users.User("anna", "archivist")
    assert users.authenticate(path, "anna", "fel lösenord!!") is None
    assert users.authenticate(path, "nobody", "ett långt lösenord") is None
    prompted = runner.invoke(cli, ["user", "add", "rolf", "--role", "registrar", "--archive", str(archive)],
                             input="rolfs lösenord\nrolfs lösenord\n", catch_exceptions=False)
    assert prompted.exit_code == 0 and "rolfs lösenord" not in prompted.output
    listed = runner.invoke(cli, ["user", "list", "--archive", str(archive)], catch_exceptions=False)
    assert listed.output.split() == ["anna", "archivist", "rolf", "registrar"]
    assert runner.invoke(cli, ["user", "remove", "anna", "--archive", str(archive)]).exit_code == 0
    assert users.current(path, "anna") is None and users.current(path, "rolf").role == "registrar"


@pytest.mark.parametrize("args, stdin, message", [
    (["user", "add", "anna", "--role", "archivist", "--password-stdin"], "kort\n", "at least 10 characters"),
    (["user", "add", "Anna Svensson", "--role", "reader", "--password-stdin"], "ett långt lösenord\n", "user name"),
    (["user", "remove", "nobody"], "", "no user 'nobody'"),
    (["serve"], "", "no users in"),
])
def test_bad_input_is_one_line(tmp_path, monkeypatch, capsys, args, stdin, message):
    archive = tmp_path / "archive"
    (archive / "manifest").mkdir(parents=True)
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    with pytest.raises(SystemExit) as stopped:
        main([*args, "--archive", str(archive)])
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and message in err and len(err.strip().splitlines()) == 1
