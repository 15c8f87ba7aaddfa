"""Load clients for ``python -m benchmarks.load`` (not run on their own).

Voters (``VoterUser``, one account each): log in (GET the form, POST email and password: a full argon2
verification), wait until every voter is in, then for each contest in turn: open the ballot (GET; the
CSRF token and the cast key are read from the form), cast (POST; the answer is the receipt page, with the
receipt file in it as a ``data:`` link), check the receipt by recomputing it from the secret and the
choices shown (``tally.audit.compute_receipt``), and decode the link to check that the file names the
same receipt and secret (a browser saves it without a request). A voter stops when the window ends or it
has voted everywhere. Posters (``PosterUser``): log in, then while the voters vote (the window, or less if
every voter is done first) alternate new comments and replies to comments posted earlier, as the htmx page
does (HX-Request), reading the new comment's id from the fragment; they pause between posts so as to stay
under the per-client posting limit.

Each client sends ``X-Forwarded-For`` with an address of its own, as a reverse proxy would, and the app
runs with ``CONSULT_PROXY_FIX_X_FOR=1``: per-address limits apply per client, as in production.

What the clients saw is written to ``$CONSULT_LOAD_OUT`` when the run ends: every accepted ballot
(voter, contest, receipt) with its cast latency and finish time, every accepted comment (token, id),
log-in latencies, and errors counted by kind (rate-limit refusals apart).
"""

from __future__ import annotations

import html
import itertools
import json
import os
import random
import re
import secrets
import time
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlencode

import gevent
import gevent.event
import gevent.lock
from locust import FastHttpUser, events, task
from locust.exception import StopUser

from tally.audit.receipts import compute_receipt

PLAN = json.loads(Path(os.environ["CONSULT_LOAD_PLAN"]).read_text())
OUT = Path(os.environ["CONSULT_LOAD_OUT"])
DURATION = float(os.environ.get("CONSULT_LOAD_DURATION", "60"))
POST_INTERVAL = float(os.environ.get("CONSULT_LOAD_POST_INTERVAL", "3.5"))
THINK = float(os.environ.get("CONSULT_LOAD_THINK", "0"))
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CAST_KEY = re.compile(r'name="cast_key" value="([^"]+)"')
RECEIPT = {k: re.compile(rf'<code id="{k}">([^<]*)</code>') for k in ("receipt", "secret", "content")}
RECEIPT_LINK = re.compile(r'download="receipt-\d+\.txt" href="data:text/plain;charset=utf-8,([^"]*)"')
COMMENT_ID = re.compile(r'id="comment-(\d+)"')

_voter_seq = itertools.count()
_poster_seq = itertools.count()
_logged_in = Counter()
window_open = gevent.event.Event()
# Log-ins (argon2, about 0.2 s of CPU and 64 MiB each) are sent a few at a time, so they queue here and
# not inside the server, where hundreds at once would each take minutes and time out.
login_slots = gevent.lock.BoundedSemaphore(int(os.environ.get("CONSULT_LOAD_LOGIN_SLOTS", "6")))
state = {"start": 0.0, "end": 0.0, "finished": 0, "voters_done": 0}
results = {
    "accepted": [],  # [voter email, contest id, receipt, cast latency s, finish time s from window start]
    "unknown": [],  # [voter email, contest id, kind]: cast sent, outcome unknown (timeout, broken answer)
    "comments": [],  # [token, comment id]
    "unknown_comments": 0,  # posts sent whose answer never arrived
    "logins": [],  # latency s
    "errors": Counter(),  # "step status-or-exception" -> count
    "refusals": Counter(),  # 429 by step
    "requests": Counter(),  # step -> count inside the window
}


def _client_address(kind: str, n: int) -> str:
    return f"127.{1 if kind == 'voter' else 2}.{n // 250}.{n % 250 + 1}"


class Client(FastHttpUser):
    abstract = True
    # Log-ins queue behind each other's argon2 (about 0.2 s of CPU each) before the window; a browser
    # would wait that long too. In the window a slow answer shows in the latencies, not as a failure.
    network_timeout = 180.0
    connection_timeout = 180.0
    kind = "client"

    def _address(self) -> dict[str, str]:
        return {"X-Forwarded-For": self.address}

    def call(self, step: str, method: str, path: str, data=None, headers=None, in_window: bool = True):
        """One request; returns (status, body, seconds) with status 0 for a transport failure."""
        all_headers = {**self._address(), **(headers or {})}
        if data is not None:
            all_headers.update(FORM)
            data = urlencode(data, doseq=True)
        began = time.perf_counter()
        try:
            with self.client.request(
                method,
                path,
                name=step,
                data=data,
                headers=all_headers,
                allow_redirects=False,
                catch_response=True,
            ) as response:
                status, body = response.status_code or 0, response.text or ""
                response.success()
        except Exception as exc:  # noqa: BLE001 - every failure is counted by kind below
            status, body = 0, repr(exc)
        elapsed = time.perf_counter() - began
        if in_window:
            results["requests"][step] += 1
        if status == 429:
            results["refusals"][step] += 1
        elif status == 0 or status >= 400:
            results["errors"][f"{step} {status or body[:60]}"] += 1
        return status, body, elapsed

    def log_in(self, email: str) -> bool:
        with login_slots:
            return self._log_in(email)

    def _log_in(self, email: str) -> bool:
        status, body, _ = self.call("login form", "GET", "/auth/login", in_window=False)
        token = CSRF.search(body) if status == 200 else None
        if token is None:
            return False
        status, _, elapsed = self.call(
            "login",
            "POST",
            "/auth/login",
            {"csrf_token": token.group(1), "email": email, "password": PLAN["password"]},
            in_window=False,
        )
        results["logins"].append(elapsed)
        return status == 303

    def wait_for_window(self) -> None:
        _logged_in[self.kind] += 1
        if _logged_in["voter"] + _logged_in["poster"] >= self.environment.runner.target_user_count:
            state["start"] = time.perf_counter()
            OUT.with_suffix(".open").touch()  # the runner samples CPU times when the window opens
            window_open.set()
        window_open.wait()

    def window_left(self) -> float:
        return state["start"] + DURATION - time.perf_counter()

    def done(self) -> None:
        state["finished"] += 1
        if state["finished"] >= self.environment.runner.target_user_count:
            state["end"] = time.perf_counter()
            OUT.with_suffix(".closed").touch()
            gevent.spawn_later(0.1, self.environment.runner.quit)
        raise StopUser()


class VoterUser(Client):
    kind = "voter"
    fixed_count = int(os.environ.get("CONSULT_LOAD_VOTERS", "200"))

    @task
    def vote_everywhere(self) -> None:
        n = next(_voter_seq)
        self.email = PLAN["voters"][n]
        self.address = _client_address("voter", n)
        logged_in = self.log_in(self.email)
        if not logged_in:
            results["errors"]["voter could not log in"] += 1
        self.wait_for_window()
        contests = list(PLAN["contests"]) if logged_in else []
        random.Random(n).shuffle(contests)
        for contest in contests:
            if self.window_left() <= 0:
                break
            self.vote(contest)
        state["voters_done"] += 1
        self.done()

    def think(self) -> None:
        """A reader's pause before the next click (``--think``, 0 by default: clients never wait)."""
        if THINK:
            gevent.sleep(random.uniform(0.5, 1.5) * THINK)

    def vote(self, contest: dict) -> None:
        cid = contest["id"]
        self.think()
        status, body, _ = self.call("ballot", "GET", f"/contests/{cid}")
        token = CSRF.search(body) if status == 200 else None
        if token is None:
            return
        keys = list(contest["keys"])
        random.shuffle(keys)
        if contest["ballot_type"] == "ranked":
            form = {f"rank-{i}": k for i, k in enumerate(keys[: random.randint(1, len(keys))], start=1)}
            sent = list(form.values())
        else:
            sent = sorted(keys[: random.randint(1, 2)])
            form = {"choice": sent}
        form["csrf_token"] = token.group(1)
        self.think()
        cast_key = CAST_KEY.search(body)
        if cast_key:  # the hidden field a browser posts back: a resend gets the same receipt
            form["cast_key"] = cast_key.group(1)
        status, body, elapsed = self.call("cast", "POST", f"/contests/{cid}/cast", form)
        finished = time.perf_counter() - state["start"]
        if status != 200:
            if status == 0:
                results["unknown"].append([self.email, cid, body[:80]])
            return
        found = {k: rx.search(body) for k, rx in RECEIPT.items()}
        if not all(found.values()):
            results["unknown"].append([self.email, cid, "receipt page without a receipt"])
            results["errors"]["cast 200 without receipt"] += 1
            return
        receipt, secret = found["receipt"].group(1), found["secret"].group(1)
        content_text = html.unescape(found["content"].group(1))
        content = json.loads(content_text)
        if content != sent or compute_receipt(contest["public_id"], content, secret) != receipt:
            results["errors"]["receipt does not match the ballot"] += 1
        results["accepted"].append([self.email, cid, receipt, elapsed, finished])
        link = RECEIPT_LINK.search(body)
        text = unquote(link.group(1)) if link else ""
        if f"Receipt:        {receipt}\n" not in text or f"Secret (r):     {secret}\n" not in text:
            results["errors"]["receipt file without the receipt and secret"] += 1


class PosterUser(Client):
    kind = "poster"
    fixed_count = int(os.environ.get("CONSULT_LOAD_POSTERS", "50"))
    seen: list[int] = []  # comment ids every poster may reply to

    @task
    def discuss(self) -> None:
        n = next(_poster_seq)
        self.address = _client_address("poster", n)
        logged_in = self.log_in(PLAN["posters"][n])
        if not logged_in:
            results["errors"]["poster could not log in"] += 1
        self.wait_for_window()
        cid = PLAN["consultation_id"]
        status, body, _ = self.call("discussion", "GET", f"/consultations/{cid}")
        token = CSRF.search(body) if status == 200 and logged_in else None
        gevent.sleep(random.uniform(0, POST_INTERVAL))
        while token is not None and self.window_left() > 0 and state["voters_done"] < VoterUser.fixed_count:
            self.post(cid, token.group(1))
            gevent.sleep(min(max(self.window_left(), 0), random.uniform(0.8, 1.2) * POST_INTERVAL))
        self.done()

    def post(self, cid: int, csrf_token: str) -> None:
        tag = secrets.token_hex(8)
        form = {"csrf_token": csrf_token, "body": f"Load comment {tag}: *agreed*.", "stance": "neutral"}
        htmx = {"HX-Request": "true"}
        if self.seen and random.random() < 0.5:
            parent = random.choice(self.seen)
            status, body, _ = self.call("reply", "POST", f"/comments/{parent}/reply", form, htmx)
        else:
            status, body, _ = self.call("comment", "POST", f"/consultations/{cid}/comments", form, htmx)
        if status == 0:
            results["unknown_comments"] += 1
        if status != 200:
            return
        ids = COMMENT_ID.findall(body)
        if not ids:
            results["errors"]["comment accepted without an id"] += 1
            return
        results["comments"].append([tag, int(ids[0])])
        self.seen.append(int(ids[0]))


@events.quitting.add_listener
def _write_results(environment, **_kwargs) -> None:
    end = state["end"] or time.perf_counter()
    out = {
        **{k: v for k, v in results.items()},
        "window_s": end - state["start"] if state["start"] else 0.0,
        "window_opened": window_open.is_set(),
    }
    OUT.write_text(json.dumps(out))
