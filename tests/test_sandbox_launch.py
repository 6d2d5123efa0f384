"""The seam to the sandbox (sandbox/launch.py) and the one list of the platforms (model.PLATFORMS)."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from contextlib import ExitStack
from dataclasses import fields
from pathlib import Path

import pytest

from smarchive.errors import ConfigError
from smarchive.model import PLATFORMS, UNCAPTURED, platform_table
from smarchive.platforms import ADAPTERS, get_adapter
from smarchive.sandbox import launch
from smarchive.sandbox.content import SandboxConfig, build_world
from smarchive.sandbox.platforms import MODULES

from conftest import write_pipeline

PROJECT = Path(__file__).resolve().parents[1]


def test_every_sandbox_config_field_is_a_setting_and_nothing_else() -> None:
    assert set(launch.allowed_keys()) == {f.name for f in fields(SandboxConfig)} | {"login"}
    config = launch.sandbox_config({"seed": 7, "years": [2024], "hang_seconds": 2, "hostile": False,
                                    "login": "auto"})
    assert (config.seed, config.years, config.hang_seconds, config.hostile) == (7, (2024,), 2.0, False)
    # `years` was dropped silently before the seam: it must now reach the world.
    world = build_world(launch.sandbox_config({"years": [2024], "posts_per_year": 2, "comments_per_post": 1}))
    assert {world.archive_year(i) for i in world.items} == {2024}


def test_an_unknown_key_names_the_allowed_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        launch.sandbox_config({"posts_per_yaer": 4}, "x.toml [sandbox]")
    message = str(caught.value)
    assert "x.toml [sandbox]" in message and "posts_per_yaer" in message
    assert all(key in message for key in launch.allowed_keys())


@pytest.mark.parametrize("key,value", [("hostile", 1), ("posts_per_year", "8"), ("years", 2024), ("seed", True)])
def test_a_wrong_type_is_an_error(key: str, value: object) -> None:
    with pytest.raises(ConfigError, match=key):
        launch.sandbox_config({key: value})


def test_start_serves_until_the_stack_closes() -> None:
    with ExitStack() as stack:
        base = launch.start({"posts_per_year": 2, "comments_per_post": 1, "throttle_every": 0}, stack)
        with urllib.request.urlopen(base + "/facebook/orebrokommun", timeout=30) as answer:
            assert answer.status == 200
    with pytest.raises(OSError):
        urllib.request.urlopen(base + "/facebook/orebrokommun", timeout=5)


def test_hidden_posts_are_never_served_but_stay_in_the_truth() -> None:
    """`hidden_posts`: the platforms' pages never show the post (nor its thread); the truth and the exports
    (built from build_world) still hold it (#18)."""
    from smarchive.sandbox.content import shown_world

    settings = {"years": [2024], "posts_per_year": 3, "comments_per_post": 2, "throttle_every": 0}
    post = build_world(launch.sandbox_config(settings)).posts("facebook", "orebrokommun")[1]
    hidden = {**settings, "hidden_posts": [int(post.id)]}  # TOML may give a number
    assert post in build_world(launch.sandbox_config(hidden)).items
    assert not [i for i in shown_world(launch.sandbox_config(hidden)).items if i.post_id == post.id]
    with ExitStack() as stack:  # its permalink page: there without the setting, 404 with it
        with urllib.request.urlopen(launch.start(settings, stack) + f"/facebook/orebrokommun/posts/{post.id}",
                                    timeout=30) as answer:
            assert answer.status == 200
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(launch.start(hidden, stack) + f"/facebook/orebrokommun/posts/{post.id}", timeout=30)
    with pytest.raises(ConfigError, match="hidden_posts: no post 123"):
        shown_world(launch.sandbox_config({**settings, "hidden_posts": ["123"]}))


def test_capture_with_a_misspelt_sandbox_key_fails_before_writing(tmp_path: Path) -> None:
    pipeline = write_pipeline(tmp_path, {"seed": 1748, "posts_per_yaer": 4})
    archive = tmp_path / "archive"
    r = subprocess.run([sys.executable, "-m", "smarchive", "capture", "--year", "2024", "--pipeline", str(pipeline),
                        "--archive", str(archive)], capture_output=True, text=True, timeout=120,
                       env={**os.environ}, cwd=PROJECT)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "posts_per_yaer" in r.stderr and "posts_per_year" in r.stderr, r.stderr
    assert not archive.exists()


def test_one_list_of_the_platforms() -> None:
    captured = [p for p in PLATFORMS if p not in UNCAPTURED]
    assert list(ADAPTERS) == captured and list(MODULES) == captured
    assert all(get_adapter(p) is not None for p in captured) and all(get_adapter(p) is None for p in UNCAPTURED)
    with pytest.raises(RuntimeError, match="tiktok"):
        platform_table({**dict.fromkeys(captured), "tiktok": None}, "a table")
