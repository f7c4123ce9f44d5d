"""Two plugins, `A` and `B` (module = "cardbot_testplugins.claimant:A"), claiming what $CARDBOT_CLAIMANT_A and
$CARDBOT_CLAIMANT_B say (JSON, as cardbot_claims returns it): for tests of claims and their clashes."""

import json
import os

from cardbot import hookimpl


class Claimant:
    def __init__(self, letter):
        self.letter = letter

    @hookimpl
    def cardbot_claims(self):
        return json.loads(os.environ.get(f"CARDBOT_CLAIMANT_{self.letter}", "[]"))

    @hookimpl
    def cardbot_action(self):
        return None

    @hookimpl
    def cardbot_command(self):
        return None

    @hookimpl
    def cardbot_message(self):
        return None

    @hookimpl
    def cardbot_event(self):
        return None

    @hookimpl
    def cardbot_link_preview(self):
        return None


A = Claimant("A")
B = Claimant("B")
