"""Settings: defaults < file < environment < overrides; errors name the file, line and key."""

from __future__ import annotations

import pytest

from reelkit.kernel.errors import SettingsInvalid
from reelkit.kernel.settings import load_settings
from tests.kernel.plugins_for_tests import DemoPlugin, DemoSettings


def test_precedence_defaults_file_environment_overrides(tmp_path, monkeypatch):
    cfg = tmp_path / "reelkit.toml"
    cfg.write_text('[demo]\ngreeting = "from-file"\nlimit = 5\n')
    assert load_settings().section(DemoSettings) == DemoSettings()
    s = load_settings(config_file=cfg)
    assert s.section(DemoSettings) == DemoSettings(greeting="from-file", limit=5)
    monkeypatch.setenv("REELKIT_DEMO__LIMIT", "7")
    s = load_settings(config_file=cfg)
    assert s.section(DemoSettings).limit == 7 and s.section(DemoSettings).greeting == "from-file"
    s = load_settings({"demo": {"limit": 9}}, config_file=cfg)
    assert s.section(DemoSettings).limit == 9


def test_config_dir_file_is_found_and_dirs_are_overridable(tmp_path, monkeypatch):
    monkeypatch.setenv("REELKIT_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("REELKIT_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "reelkit.toml").write_text('[demo]\ngreeting = "dir"\n')
    s = load_settings()
    assert s.section(DemoSettings).greeting == "dir"
    assert s.paths.data_dir == tmp_path / "data" and s.source == tmp_path / "cfg" / "reelkit.toml"


def test_malformed_file_names_the_file_and_line(tmp_path):
    cfg = tmp_path / "reelkit.toml"
    cfg.write_text('[demo]\ngreeting = "ok"\nlimit = = 3\n')
    with pytest.raises(SettingsInvalid) as e:
        load_settings(config_file=cfg)
    assert str(cfg) in e.value.message and "line 3" in e.value.message
    assert e.value.code == "settings.invalid"


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(SettingsInvalid, match="does not exist"):
        load_settings(config_file=tmp_path / "nope.toml")


async def test_an_invalid_section_fails_its_plugin_naming_file_and_key(tmp_path, make_kernel):
    cfg = tmp_path / "reelkit.toml"
    cfg.write_text("[demo]\nlimit = 1000\n")
    from reelkit import Kernel

    async with Kernel(config_file=str(cfg), builtins=False, plugins=[DemoPlugin()], entry_points=False) as k:
        state = k.plugins.get("demo")
        assert state.state == "failed" and state.error["code"] == "settings.invalid"
        assert str(cfg) in state.error["message"] and "[demo] limit" in state.error["message"]


def test_unknown_kernel_setting_is_refused():
    with pytest.raises(SettingsInvalid, match=r"\[telemetry\] exporterr"):
        load_settings({"telemetry": {"exporterr": "x"}})


async def test_an_unknown_key_names_the_closest_valid_one(make_kernel):
    from reelkit.kernel.errors import PluginDisabled

    async with make_kernel(builtins=["media"], settings={"media": {"max_paralel": 2}}) as k:
        with pytest.raises(PluginDisabled) as e:
            await k.invoke("media.probe", {"path": "x.mp4"})
        assert "max_paralel" in e.value.message and "did you mean 'max_parallel'?" in e.value.message


async def test_an_unknown_section_is_a_warning_not_silence(make_kernel, capsys):
    async with make_kernel(builtins=["media"], settings={"meida": {"max_parallel": 2}}) as k:
        assert k.plugins.get("media").state == "active"
    err = capsys.readouterr().err
    assert "unknown settings section" in err and "[meida] (did you mean [media]?)" in err


async def test_a_builtin_section_is_known_even_when_that_builtin_is_not_loaded(make_kernel, capsys):
    async with make_kernel(builtins=["media"], settings={"compiler": {"stall_retries": 1}}):
        pass
    assert "unknown settings section" not in capsys.readouterr().err
