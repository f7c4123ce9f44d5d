"""The whole plugin API on one screen: every hook a cardbot plugin can implement.

A plugin is a module (or object) with functions named after these hooks and marked `@hookimpl`:

    from cardbot import hookimpl, Patch

    @hookimpl
    def cardbot_claims():
        return ["public_publish"]

    @hookimpl
    async def cardbot_action(action, card, config):
        return Patch.button(action.button_id).remove().toast("success", "Done")

An implementation may accept any subset of a hook's arguments, in any order. cardbot calls each
implementation itself (only the owning plugin's, for `cardbot_action`), so pluggy's ordering and
wrapping options (`tryfirst`, `trylast`, `wrapper`, `hookwrapper`) are refused at start-up. Hooks marked
"may be async" accept `async def` implementations; plain ones run on a worker thread, so blocking
calls (requests, sqlite) never stall the server. docs/hooks/ has a page per hook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import pluggy

if TYPE_CHECKING:
    from .action import Action
    from .bot import Bot
    from .patches import Patch
    from .state import State

PROJECT_NAME = "cardbot"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def cardbot_claims() -> list[str]:
    """Return the button_types this plugin handles; called once at start-up (a plain function, not async).

    A click is routed by the `button_type` in the clicked component's value. Two enabled plugins
    claiming one button_type stop start-up, unless `[owners]` in plugins.toml names the owner.

        @hookimpl
        def cardbot_claims():
            return ["vote"]
    """


@hookspec
def cardbot_check_config(config: Mapping[str, Any]) -> None:
    """Check this plugin's `[plugins.NAME]` table at start-up; raise ConfigError (or ValueError) to stop.

    A plain function, not async: it runs once while plugins load, before the server starts.

    `config` is the table without `enabled` and `module`, read-only.

        @hookimpl
        def cardbot_check_config(config):
            if not isinstance(config.get("timeout", 10), (int, float)):
                raise ConfigError("timeout must be a number of seconds")
    """


@hookspec
def cardbot_startup(config: Mapping[str, Any], bot: Bot) -> None:
    """Set up what the plugin needs (clients, caches) in each worker process before it serves. May be async.

    `bot` sends cards (`bot.send_card`, `await bot.send_card_async`); keep it if you send later.
    An exception stops start-up with the plugin's name in the message.

        @hookimpl
        async def cardbot_startup(config):
            global client
            client = await connect(config["url"])
    """


@hookspec
def cardbot_shutdown(config: Mapping[str, Any], bot: Bot) -> None:
    """Release what `cardbot_startup` set up, when a worker stops. May be async; errors are logged.

        @hookimpl
        async def cardbot_shutdown(config):
            await client.close()
    """


@hookspec
def cardbot_action(action: Action, card: dict, config: Mapping[str, Any], state: State, bot: Bot) -> Patch | None:
    """Do the team's business for a click on a claimed button_type; return how the card changes. May be async.

    Only the plugin that owns the clicked button_type is called. Arguments:
    - `action`: who clicked which component on which card (`cardbot.Action`, read-only);
    - `card`: the stored card as it is now, a private copy (changing it changes nothing: return a Patch);
    - `config`: this plugin's table from plugins.toml, read-only;
    - `state`: this plugin's state for this card (`state.card`) and across cards (`state.plugin`);
      what you set there commits in the same transaction as the card change;
    - `bot`: sends follow-up cards (`await bot.send_card_async(card, chat_id=action.chat_id)`).

    Return a `cardbot.Patch` (card change and/or toast) or None (nothing changes). Raise
    `cardbot.ActionFailed("why")` to show the clicker an error toast; any other exception is logged
    and shown as a generic error. Either way the card and state stay as they were.

    Clicks on one card are serialised: while this hook runs, no other click on the same card runs a
    plugin, in any worker process, so `card` and `state.card` are current and your business step runs
    exactly once per click. A hook that outlives `[bot] deadline` (2.5 s) is answered with a
    "processing" toast; when it finishes, its change is committed as usual and the card as then stored
    is pushed to the clicker with the click's update token. `[bot] hard_limit` cuts it off.

        @hookimpl
        def cardbot_action(action, card, config, state):
            release(config["webhook"], action.operator.id)
            return Patch.elements(DONE).toast("success", "已完成")
    """
