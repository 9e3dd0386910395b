"""localstripe — a stateful Stripe test server (PyPI ``localstripe``) — as a real process
on a free port, so card tests talk HTTP to something that behaves like Stripe and no
request leaves the machine. Its store is kept in memory (not in /tmp/localstripe.pickle,
which parallel runs would share)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest

#: Runs localstripe's server with its on-disk store turned off.
LAUNCH = (
    "import sys; from localstripe import resources, server; "
    "resources.Store.dump_to_disk = lambda self: None; "
    "sys.argv = ['localstripe', '--port', sys.argv[1], '--from-scratch']; server.start()"
)
SECRET_KEY = "sk_test_kyklos_localstripe"
PUBLISHABLE_KEY = "pk_test_kyklos_localstripe"


def free_port() -> int:
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
        probe.bind(("::", 0))
        return probe.getsockname()[1]


@dataclass
class LocalStripe:
    url: str
    process: subprocess.Popen

    def api(self, method: str, path: str, data: dict | None = None) -> dict:
        """Talk to the server as a test (e.g. what Stripe.js would do in a browser)."""
        body = None
        headers = {"Authorization": f"Bearer {SECRET_KEY}"}
        if data is not None:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return {"status_code": error.code, **json.loads(error.read() or b"{}")}

    def card(self, number: str) -> str:
        """A payment method for a test card number (Stripe.js makes these in the browser)."""
        method = self.api(
            "POST",
            "/v1/payment_methods",
            {
                "type": "card",
                "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"},
            },
        )
        return method["id"]

    def confirm_setup(self, setup_id: str, number: str) -> dict:
        """What ``stripe.confirmCardSetup`` does with the card typed on the page."""
        path = f"/v1/setup_intents/{setup_id}/confirm"
        answer = self.api("POST", path, {"payment_method": self.card(number)})
        if answer.get("status") == "requires_action":  # the customer passes 3-D Secure
            answer = self.api("POST", path, {"key": PUBLISHABLE_KEY})
        return answer

    def authenticate(self, intent_id: str, client_secret: str, success: bool = True) -> dict:
        """What ``stripe.confirmCardPayment`` does when the customer passes 3-D Secure."""
        outcome = "true" if success else "false"
        return self.api(
            "POST",
            f"/v1/payment_intents/{intent_id}/_authenticate?success={outcome}",
            {"client_secret": client_secret, "key": PUBLISHABLE_KEY},
        )

    def events(self, event_type: str) -> list[dict]:
        return self.api("GET", f"/v1/events?type={event_type}")["data"]

    def register_webhook(self, url: str, secret: str) -> None:
        self.api("POST", "/_config/webhooks/kyklos", {"url": url, "secret": secret})


@pytest.fixture(scope="session")
def localstripe_server(tmp_path_factory):
    try:
        import localstripe  # noqa: F401
    except ImportError:
        pytest.skip("localstripe is not installed (pip install localstripe)")
    port = free_port()
    log = (tmp_path_factory.mktemp("localstripe") / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path_factory.getbasetemp(),
    )
    server = LocalStripe(f"http://localhost:{port}", process)
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(server.url + "/js.stripe.com/v3/", timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"localstripe did not start on port {port}")
            time.sleep(0.1)
    yield server
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture
def localstripe(localstripe_server, settings):
    """Card payments configured against localstripe (webhook secret of the tests)."""
    from tests.payments.fakes import STRIPE_SECRET

    settings.KYKLOS_PAYMENTS = {
        **settings.KYKLOS_PAYMENTS,
        "stripe_secret_key": SECRET_KEY,
        "stripe_publishable_key": PUBLISHABLE_KEY,
        "stripe_webhook_secret": STRIPE_SECRET,
        "stripe_api_base": localstripe_server.url,
        "stripe_js_url": localstripe_server.url + "/js.stripe.com/v3/",
        "webhook_tolerance": 300,
    }
    localstripe_server.api("DELETE", "/_config/data")  # each test starts with an empty Stripe
    return localstripe_server
