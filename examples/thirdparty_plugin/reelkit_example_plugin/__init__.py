"""An example third-party reelkit plugin, installed as the distribution `reelkit-example-plugin`.

It adds the command `hello.greet {name}`, translated through the language plugin (it contributes its
own catalog through the language plugin's `reelkit_language_catalogs` hook), publishes
`hello.greeted`, and subscribes to `language.locale.changed`. Everything comes from `sdk`.
"""

from reelkit.sdk import Bus, Event, Field, Input, Invoker, Output, PluginContext, PluginInfo, command, hookimpl

__version__ = "0.1.0"


class GreetInput(Input):
    name: str = Field(min_length=1, max_length=100, description="Who to greet")


class GreetResult(Output):
    greeting: str = Field(description="The greeting, in the app's language")
    locale: str | None = Field(description="The catalog the greeting came from")
    locale_changes_seen: list[str] = Field(description="Locales this plugin saw the app switch to, in order")


class Greeted(Event, topic="hello.greeted"):
    name: str = Field(description="Who was greeted")


class HelloState:
    """What the plugin remembers for one kernel (a service, so two kernels never share it)."""

    def __init__(self) -> None:
        self.locale_changes: list[str] = []


@command("hello.greet", summary="Greet someone in the app's language")
async def greet(inp: GreetInput, state: HelloState, inv: Invoker, bus: Bus) -> GreetResult:
    t = await inv.invoke("language.translate", {"key": "hello.greeting", "params": {"name": inp.name}})
    bus.publish(Greeted(name=inp.name))
    return GreetResult(greeting=t.text, locale=t.locale, locale_changes_seen=list(state.locale_changes))


@hookimpl
def reelkit_plugin_info() -> PluginInfo:
    return PluginInfo(name="hello", version=__version__, requires=["language"], summary="Example greeting plugin")


@hookimpl
def reelkit_setup(ctx: PluginContext) -> None:
    state = HelloState()
    ctx.add_service(HelloState, lambda: state)
    ctx.add_commands(greet)
    ctx.add_events(Greeted)
    ctx.subscribe("language.locale.changed", lambda event: state.locale_changes.append(event.locale))


@hookimpl
def reelkit_language_catalogs() -> dict:
    return {
        "en": {"hello.greeting": "Hello, {name}!"},
        "de": {"hello.greeting": "Hallo, {name}!"},
        "fr": {"hello.greeting": "Bonjour, {name} !"},
        "ja": {"hello.greeting": "こんにちは、{name}さん！"},
    }
