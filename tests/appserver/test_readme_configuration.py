"""The appserver README's configuration table lists exactly the variables the code reads."""

import re
from pathlib import Path

from yelb_appserver.config import SETTINGS

README = Path(__file__).resolve().parents[2] / "yelb-appserver" / "README.md"


def readme_table() -> dict[str, str]:
    section = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z_]+)` \| (.*?) \|", section, re.M)
    return {name: default for name, default in rows}


def test_every_setting_is_documented_with_its_default():
    expected = {setting.name: f"`{setting.default}`" if setting.default else "(empty)"
                for setting in SETTINGS}
    assert readme_table() == expected
