"""The lean reference: the vote plugin's job with cardbot's guarantees, tight code to measure cardbot against.

    LARK_VERIFICATION_TOKEN=… LARK_ENCRYPT_KEY=… python -m bench.lean --db cardbot.db --port 8200

`POST /lark/callback` takes both callback formats the bench sends (legacy: plain body, sha1 signature with the
verification token; card.action.trigger: AES-256-CBC body, sha256 signature with the encrypt key) and does
what cardbot does for a vote, with the same guarantees:

- the signature and the timestamp window (`X-Lark-Request-Timestamp`, and `header.create_time` of a trigger)
  are checked as core/protocol checks them (401; 400 for a body that is not a callback, 403 for a wrong token);
- the delivery (`v2:<event_id>`, or `v1:` + sha256 of the legacy body's signed fields, as cardbot names it)
  is claimed in a committed write before the vote runs; a repeated delivery waits for the first copy and
  answers its stored toast with the card as stored now;
- one click per card at a time (an asyncio.Lock per card); the card and the vote's state for it are read
  from the database on every click (no cache that another process or `card put` could make stale);
- the stale guard (the clicked button is still on the card), the vote moved (one per person per card),
  every vote button relabelled "Label (N)", the card's compact JSON held to 30 KB;
- the card (compare-and-swap on its version), a history row with the patch, the state and the delivery's
  answer commit together before the answer goes out, in one transaction shared by every write of that
  event-loop turn (a savepoint each when there are several), as core/store/writer.py does; SQLite in WAL
  mode with cardbot's default `synchronous=NORMAL`, checkpoints on a helper thread;
- a deadline: past 2.5 s (`[bot] deadline`) the click is answered "processing" and finishes afterwards;
- one INFO log line per click, as cardbot writes it.

It uses cardbot's tables as `bench.workloads.fill_database` creates them, in the vote plugin's layout
(plugin_state rows `("vote", card, "counts")` and `("vote", card, "voter:<open_id>")`), so the bench reads
the stored versions of both alike. What it leaves out is the framework: plugin discovery and dispatch, the
generic patch language and its validation, general answer rendering, url_verification and events.

It serves ONE worker process: the per-card lock and the group commit exclude only within one event loop
(two processes on one file would need cardbot's card leases).

Its steps, one module each: `verify` (signature, window, decryption, the delivery's identity), `store` (the
group commit and the writes), `vote` (the vote on the card), `clicks` (claim, the card's turn, the commit, a
repeat, the deadline), `app` (the Sanic app); `python -m bench.lean` serves it. It shares no code with
cardbot on purpose: a cost or a bug of cardbot's must not leak into what cardbot is measured against.
"""
