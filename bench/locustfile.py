"""Load on the customer portal: the dashboard and the invoice list of one logged-in
customer, at a fixed total rate (``BENCH_RATE`` requests/s over ``BENCH_USERS`` users).
The session cookie comes from ``BENCH_SESSION`` (made by ``bench.probe session``)."""

import os

from locust import HttpUser, constant_throughput, task

USERS = int(os.environ.get("BENCH_USERS", "20"))
RATE = float(os.environ.get("BENCH_RATE", "200"))


class Customer(HttpUser):
    wait_time = constant_throughput(RATE / USERS)

    def on_start(self):
        self.client.cookies.set("sessionid", os.environ["BENCH_SESSION"])

    @task
    def dashboard(self):
        with self.client.get("/portal/", name="dashboard", catch_response=True) as response:
            if response.status_code != 200 or b"site" not in response.content:
                response.failure(f"status {response.status_code}")

    @task
    def invoices(self):
        with self.client.get("/portal/invoices/", name="invoices", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code}")
