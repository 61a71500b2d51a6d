"""Load scenarios for `bench/load.py` (`make load`); not a test, never run by pytest.

- `LedgerUser`: a demo user logs in through the login form (reading the CSRF token from the
  page, as a browser does), then mixes the owner's page, the ledger list with filters, item
  pages and progress posts (the form's token and version read from the item page).
- `ListUser`: the same login, then only the ledger list with its filters.
- `TrivialUser`: only `/healthz` (the whole middleware stack, no query): the floor.

Users wait for nothing between requests (a closed loop of N concurrent users), so requests
per second measure what the server can serve. Once every user has logged in, every request is
recorded with its time, and written as JSON to $LOAD_RAW when the run ends (the runner
computes the figures).
"""

import itertools
import json
import os
import random
import re
import time

from locust import HttpUser, constant, events, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "demo-pass-2018")
# Demo people who own items (their own page has cards) and committee members who keep the ledger.
USERNAMES = os.environ.get(
    "LOAD_USERS",
    "owner,yangfan,huanghai,machao,lintao,guopeng,hubin,zhuyong,gaoxiang,luogang,liangbin,songjia,"
    "tangli,secretary,branch_secretary,wujun,zhengwei,fenglei,hejing,leader",
).split(",")
_next_user = itertools.cycle(USERNAMES)

# The list's filters (category and organization ids are read from the list's own form).
LIST_QUERIES = ["", "?status=in_progress", "?ordering=deadline", "?q=安全", "?page=3", "?overdue=on"]

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ITEM_LINK = re.compile(r'href="/ledger/items/(\d+)/"')
SELECT = re.compile(r'<select name="(category|organization)"[^>]*>(.*?)</select>', re.S)
OPTION_VALUE = re.compile(r'<option value="(\d+)"')

RECORDED = []
# Requests are recorded once every user has logged in ($LOAD_EXPECTED_USERS of them): logins hash
# a password on purpose, and would otherwise weigh on the first seconds of the figures.
LOGGED_IN = []
EXPECTED = int(os.environ.get("LOAD_EXPECTED_USERS", "1"))


@events.request.add_listener
def _record(request_type, name, response_time, exception, start_time=None, **kwargs):
    if name != "login" and len(LOGGED_IN) >= EXPECTED:
        started = start_time or time.time() - response_time / 1000
        RECORDED.append((name, started, response_time, exception is not None))


@events.quitting.add_listener
def _save(environment, **kwargs):
    if os.environ.get("LOAD_RAW"):
        with open(os.environ["LOAD_RAW"], "w") as file:
            json.dump(RECORDED, file)


class LoggedIn(HttpUser):
    abstract = True
    wait_time = constant(0)

    def on_start(self):
        self.username = next(_next_user)
        self.items = []  # ids seen on the pages, for item pages
        self.own = []  # ids of the user's own open items, for progress posts
        self.filters = list(LIST_QUERIES)
        page = self.client.get("/accounts/login/", name="login")
        token = CSRF.search(page.text).group(1)
        response = self.client.post(
            "/accounts/login/",
            data={"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": page.url},
            name="login",
            allow_redirects=False,  # to the user's landing page, which is not what is measured
        )
        if response.status_code != 302 or "/accounts/login/" in response.headers.get("Location", ""):
            raise RuntimeError(f"{self.username} could not log in")
        self.filters_read = False
        LOGGED_IN.append(self.username)

    def ledger_list(self):
        query = random.choice(self.filters) if self.filters_read else ""
        response = self.client.get("/ledger/" + query, name="list")
        found = ITEM_LINK.findall(response.text)
        if found:
            self.items = found
        if not self.filters_read:  # the category and organization filters, from the list's form
            for name, options in SELECT.findall(response.text):
                self.filters += [f"?{name}={value}" for value in OPTION_VALUE.findall(options)[:3]]
            self.filters_read = True


class LedgerUser(LoggedIn):
    @task(3)
    def mine(self):
        found = ITEM_LINK.findall(self.client.get("/ledger/mine/", name="mine").text)
        if found:
            self.own = found

    @task(3)
    def list_with_filters(self):
        self.ledger_list()

    @task(3)
    def item_detail(self):
        if not self.items:
            return self.ledger_list()
        self.client.get(f"/ledger/items/{random.choice(self.items)}/", name="detail")
        return None

    @task(1)
    def progress_post(self):
        if not self.own:
            return self.mine()
        pk = random.choice(self.own)
        page = self.client.get(f"/ledger/items/{pk}/", name="detail")
        form = re.search(rf'<form[^>]*action="/ledger/items/{pk}/progress/".*?</form>', page.text, re.S)
        if form is None:  # finished meanwhile, or not the user's to post on
            self.own.remove(pk)
            return None
        version = re.search(r'name="version" value="(\d*)"', form.group(0))
        with self.client.post(
            f"/ledger/items/{pk}/progress/",
            data={
                "csrfmiddlewaretoken": CSRF.search(form.group(0)).group(1),
                "version": version.group(1) if version else "",
                "text": "负载测试：已按整改措施推进。",
                "percent": random.choice([20, 40, 60]),
            },
            headers={"Referer": page.url},
            name="progress",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # Saved: a redirect back. A page (200) is the form again with an error.
            if response.status_code != 302:
                response.failure(f"progress post answered {response.status_code}")
        return None


class ListUser(LoggedIn):
    @task
    def list_with_filters(self):
        self.ledger_list()


class TrivialUser(HttpUser):
    wait_time = constant(0)

    def on_start(self):
        LOGGED_IN.append("")  # nobody logs in: recorded from the start

    @task
    def healthz(self):
        self.client.get("/healthz", name="healthz")
