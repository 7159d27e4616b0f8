"""Services: type-keyed injection, lifetimes, dependency order, cleanup, boot-time errors."""

from __future__ import annotations

from reelkit.sdk import Field, Input, Output, command
from tests.kernel.plugins_for_tests import plugin

LOG: list[str] = []


class Db:
    pass


class Repo:
    def __init__(self, db: Db) -> None:
        self.db = db


class Api:
    def __init__(self, repo: Repo) -> None:
        self.repo = repo


async def make_db():  # an async generator factory: cleanup after the yield
    LOG.append("db up")
    yield Db()
    LOG.append("db down")


def make_repo(db: Db):
    LOG.append("repo up")
    yield Repo(db)
    LOG.append("repo down")


async def make_api(repo: Repo) -> Api:
    LOG.append("api up")
    return Api(repo)


class Out(Output):
    ok: bool = Field(description="ok")


@command("svc.use")
async def use(_: Input, api: Api) -> Out:
    return Out(ok=isinstance(api.repo.db, Db))


async def test_kernel_services_start_in_dependency_order_and_close_in_reverse(make_kernel):
    LOG.clear()

    def setup(ctx):
        ctx.add_service(Api, make_api)  # registered before its dependencies on purpose
        ctx.add_service(Repo, make_repo)
        ctx.add_service(Db, make_db)
        ctx.add_commands(use)

    async with make_kernel(plugins=[plugin("svc", setup=setup)]) as k:
        assert LOG == ["db up", "repo up", "api up"]
        assert (await k.invoke("svc.use")).ok
        assert k.services.instances[Api].repo is k.services.instances[Repo]
    assert LOG[-2:] == ["repo down", "db down"]


async def test_missing_service_fails_the_plugin_naming_both_ends(make_kernel):
    def setup(ctx):
        ctx.add_service(Repo, Repo)  # needs Db, which nobody provides

    async with make_kernel(plugins=[plugin("lonely", setup=setup), plugin("fine")]) as k:
        state = k.plugins.get("lonely")
        assert state.state == "failed"
        assert state.error["code"] == "service.missing"
        assert "Repo" in state.error["message"] and "Db" in state.error["message"]
        assert k.plugins.get("fine").state == "active"
        assert (await k.invoke("kernel.health")).state == "error"


async def test_a_command_needing_a_missing_service_fails_its_plugin(make_kernel):
    async with make_kernel(plugins=[plugin("needy", setup=lambda ctx: ctx.add_commands(use))]) as k:
        state = k.plugins.get("needy")
        assert state.state == "failed" and state.error["code"] == "service.missing"
        assert "svc.use" in state.error["message"] and "Api" in state.error["message"]
        assert "svc.use" not in k.commands


class A:
    pass


class B:
    pass


def make_a(b: B) -> A:
    return A()


def make_b(a: A) -> B:
    return B()


async def test_a_cycle_is_reported_at_boot(make_kernel):
    def setup(ctx):
        ctx.add_service(A, make_a)
        ctx.add_service(B, make_b)

    async with make_kernel(plugins=[plugin("loop", setup=setup)]) as k:
        state = k.plugins.get("loop")
        assert state.state == "failed" and state.error["code"] == "service.cycle"
        assert "A" in state.error["message"] and "B" in state.error["message"]


async def test_services_of_another_plugin_are_injected(make_kernel):
    LOG.clear()

    def provider(ctx):
        ctx.add_service(Db, make_db)

    def consumer(ctx):
        ctx.add_service(Repo, make_repo)

    async with make_kernel(plugins=[plugin("consumer", setup=consumer, requires=["provider"]),
                                    plugin("provider", setup=provider)]) as k:
        assert isinstance(k.services.instances[Repo].db, Db)
        assert LOG == ["db up", "repo up"]
