"""Parse the command line and run one subcommand; every subcommand takes `--config PATH`.

Exit status: 0 done, 1 not found or failed, 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from ..config import default_config_path
from ..errors import CardbotError
from . import cards, click, new_plugin, plugins, prune, send, serve, switch, timers


def build_parser(script_dir: Path | None = None) -> argparse.ArgumentParser:
    """The argparse tree of every subcommand."""
    parser = argparse.ArgumentParser(prog="bot.py", description="cardbot: Lark/Feishu card callbacks handled by plugins.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    config_help = "the plugins.toml to use (default: ./plugins.toml, else the one beside bot.py)"

    def with_config(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument("--config", type=Path, default=None, help=config_help)
        sub.set_defaults(script_dir=script_dir)
        return sub

    serve.add_arguments(with_config(commands.add_parser("serve", help="run the callback server (the default)")))
    card = commands.add_parser("card", help="store or show cards")
    card_commands = card.add_subparsers(dest="card_command", metavar="ACTION", required=True)
    cards.add_put_arguments(with_config(card_commands.add_parser("put", help="store a card sent by other means")))
    cards.add_show_arguments(with_config(card_commands.add_parser("show", help="print a stored card as JSON")))
    click.add_arguments(with_config(commands.add_parser("click", help="click a stored card on a running bot")))
    send.add_arguments(with_config(commands.add_parser("send", help="send a card through Lark and store it")))
    prune.add_arguments(with_config(commands.add_parser("prune", help="delete expired delivery records and history")))
    timers.add_arguments(with_config(commands.add_parser("timers", help="list the timers plugins have set")))
    plugin = commands.add_parser("plugins", help="what plugins exist, which are on, what they claim")
    plugin_commands = plugin.add_subparsers(dest="plugins_command", metavar="ACTION", required=True)
    plugins.add_list_arguments(with_config(plugin_commands.add_parser("list", help="list every known plugin")))
    switch.add_arguments(with_config(plugin_commands.add_parser("enable", help="turn a plugin on in plugins.toml")),
                         enable=True)
    switch.add_arguments(with_config(plugin_commands.add_parser("disable", help="turn a plugin off in plugins.toml")),
                         enable=False)
    new_plugin.add_arguments(commands.add_parser("new-plugin", help="write a new plugin package to start from"))
    return parser


def main(argv: Sequence[str] | None = None, script_dir: Path | None = None) -> int:
    """Run the command line; `python bot.py` alone serves with the default config."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(script_dir)
    if not args_list or args_list[0].startswith("-") and args_list[0] not in ("-h", "--help"):
        args_list.insert(0, "serve")
    args = parser.parse_args(args_list)
    if hasattr(args, "script_dir"):  # every command but new-plugin reads a plugins.toml
        args.config = (args.config or default_config_path(args.script_dir)).resolve()
    try:
        return args.run(args)
    except CardbotError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
