"""The static mobile web client served to staff phones (HTML, CSS, ES modules; no build).

The LAN server serves this folder at ``/`` (``SyncServer(static_dir=STATIC_DIR)``). Plain HTTP
on campus Wi-Fi is not a secure context, so the client uses no service worker and no
``crypto.randomUUID`` (ids come from ``crypto.getRandomValues``); IndexedDB, localStorage and
the WebSocket are enough. No third-party code, no web fonts.

``index.html``
    The shell: header (title, 离线 / 待同步 / 需处理 badges), ``<main>``, the bottom tab bar.
``css/app.css``
    rem-sized text (the phone's text size applies: ``<meta name="text-scale">`` on Android,
    the system body font on iOS), 44 px tap targets, 360–430 px wide.
``js/view.js``
    The only module that touches the DOM; text goes in as text nodes, never as markup. It
    knows when a finger is on the screen (pointerdown until its click has run).
``js/controller.js``
    Session (PIN login, ``#pair=<token>`` links), hash routes, cache-first reads, writes. A
    redraw that arrives during a tap waits until the tap's click has run, so fresh data never
    takes a button from under a finger.
``js/scope.js``
    Rows that left the person's scope (the pull's ``gone`` ids, asked with ``only=gone`` on
    every hello and poke) are taken out of the screens kept for reading offline.
``js/outbox.js``
    Every write as ``{client_id, mutation_id, name, args, base_version}`` in IndexedDB,
    pushed in order with backoff; answers settle entries, rejections and conflicts become
    problems the person reads and dismisses; an id gap or a foreign client id starts a new
    client id (the server applied none of the pending entries then); 409 reloads the page.
``js/overlay.js``
    Screens show the phone's own unanswered writes over the last fetched data, marked 待同步.
``js/store.js``, ``js/api.js``, ``js/live.js``, ``js/ids.js``, ``js/format.js``
    IndexedDB key-value store, HTTP errors, the live socket (hello, pokes, reconnect), UUID v4,
    money in fen and Asia/Shanghai business dates (the server's clock, not the phone's).

Tests: ``tests/mobile_web`` (Chromium at phone size against a real server, and the pure
modules under ``node --test``); benchmark: ``tests/perf/bench_phone_load.py``.
"""

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent
