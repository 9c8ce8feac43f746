"""Config is a plain frozen dataclass: one field per setting in SETTINGS, nothing else."""

from __future__ import annotations

import dataclasses

import pytest

from yelb_appserver.config import SETTINGS, Config


def test_every_setting_has_a_field_and_every_field_a_setting():
    assert [field.name for field in dataclasses.fields(Config)] == [setting.key for setting in SETTINGS]


def test_a_parsed_config_cannot_be_changed_afterwards(tmp_path):
    config = Config.from_env({"YELB_SQLITE_PATH": str(tmp_path / "yelb.sqlite3")})
    assert config.db_port == 5432 and config.options[0].name == "outback"
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.db_port = 1
