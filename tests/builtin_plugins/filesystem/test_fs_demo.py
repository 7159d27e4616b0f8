"""The filesystem step of `reelkit demo`, and the filesystem.roots command."""

import io

from rich.console import Console

from reelkit.kernel.demo import run_demo


async def test_roots_command_lists_existing_roots_only(make_kernel, tmp_path):
    (tmp_path / "a").mkdir()
    roots = [str(tmp_path / "a"), str(tmp_path / "missing")]
    async with make_kernel(builtins=["filesystem"], settings={"filesystem": {"roots": roots}}) as k:
        out = await k.invoke("filesystem.roots", {})
        assert [(r.path, r.kind) for r in out.roots] == [(str((tmp_path / "a").resolve()), "directory")]
        assert (await k.health())["checks"]["filesystem.roots"]["state"] == "warn"


async def test_demo_step_inside_the_roots_writes_and_watches(make_kernel, tmp_path):
    buf = io.StringIO()
    async with make_kernel(builtins=["filesystem"], settings={"filesystem": {"roots": [str(tmp_path)]}}) as k:
        status = await run_demo(k, tmp_path / "demo", Console(file=buf, width=200))
    text = buf.getvalue()
    assert status == 0, text
    assert (tmp_path / "demo" / "README.txt").read_text().startswith("Outputs of `reelkit demo`")
    assert f"watch saw: added {tmp_path.resolve() / 'demo' / 'README.txt'}" in text
    assert "/etc/passwd refused: permission.denied" in text


async def test_demo_step_outside_the_roots_reports_the_refusal(make_kernel, tmp_path):
    (tmp_path / "root").mkdir()
    buf = io.StringIO()
    async with make_kernel(builtins=["filesystem"], settings={"filesystem": {"roots": [str(tmp_path / "root")]}}) as k:
        status = await run_demo(k, tmp_path / "elsewhere", Console(file=buf, width=200))
    assert status == 0
    assert "refused as designed (permission.denied)" in buf.getvalue()
    assert not (tmp_path / "elsewhere" / "README.txt").exists()
