"""The ACME exchange (RFC 8555) with certbot's maintained ``acme`` library and ``josepy``.

:func:`obtain` registers (or reuses) the provider's account, places an order for a CSR,
answers each name's challenge — DNS-01 where a zone hosted here holds the name, HTTP-01
elsewhere — through the callbacks it is given, waits for the CA, finalises and returns the
full chain. Failures are sorted for the job: :class:`AcmeTemporary` (network, the CA's
internal error, a rate limit, a timeout) or :class:`AcmeRefused` (a failed challenge, a
rejected name), each carrying the CA's answer."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import josepy as jose
import requests
from acme import challenges, client, errors, messages
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

USER_AGENT = "Kyklos (ACME; https://kyklos.example)"
TEMPORARY_TYPES = {"serverInternal", "rateLimited", "badNonce", "connection"}


class AcmeError(Exception):
    def __init__(self, message: str, *, response: str = ""):
        super().__init__(message)
        self.response = response


class AcmeTemporary(AcmeError):
    pass


class AcmeRefused(AcmeError):
    pass


@dataclass
class Issued:
    fullchain_pem: str
    methods: dict[str, str] = field(default_factory=dict)


@dataclass
class Account:
    key_json: str
    uri: str = ""


def directory_url() -> str:
    url = (getattr(settings, "KYKLOS_ACME_DIRECTORY", "") or "").strip()
    if not url.startswith(("https://", "http://")):
        raise ImproperlyConfigured(
            "KYKLOS_ACME_DIRECTORY must be the https address of the CA's ACME directory, "
            f"not {url!r}."
        )
    return url


def verify() -> str | bool:
    bundle = (getattr(settings, "KYKLOS_ACME_CA_BUNDLE", "") or "").strip()
    return bundle or True


def new_account_key() -> str:
    key = jose.JWKRSA(key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return json.dumps(key.to_json())


def _client(account: Account) -> tuple[client.ClientV2, jose.JWK]:
    key = jose.JWKRSA.json_loads(account.key_json)
    net = client.ClientNetwork(key, user_agent=USER_AGENT, verify_ssl=verify(), timeout=20)
    directory = client.ClientV2.get_directory(directory_url(), net)
    acme = client.ClientV2(directory, net=net)
    if account.uri:
        net.account = messages.RegistrationResource(uri=account.uri, body=messages.Registration())
    return acme, key


def register(acme: client.ClientV2, email: str) -> str:
    contact = {"email": email} if email else {}
    try:
        regr = acme.new_account(
            messages.NewRegistration.from_data(terms_of_service_agreed=True, **contact)
        )
    except errors.ConflictError as existing:  # the key is known: its account URL
        acme.net.account = messages.RegistrationResource(
            uri=str(existing), body=messages.Registration()
        )
        return str(existing)
    return regr.uri


#: publish(name, method, token, validation) → None; withdraw(name, method, token) → None
Publish = Callable[[str, str, str, str], None]
Withdraw = Callable[[str, str, str], None]


def obtain(
    csr_pem: bytes,
    account: Account,
    *,
    email: str,
    method_for: Callable[[str], str],
    publish: Publish,
    withdraw: Withdraw,
    save_account: Callable[[Account], None],
    timeout: int = 90,
) -> Issued:
    """Order, validate and finalise; raises AcmeTemporary / AcmeRefused."""
    published: list[tuple[str, str, str]] = []
    methods: dict[str, str] = {}
    try:
        acme, key = _client(account)
        if not account.uri:
            account.uri = register(acme, email)
            save_account(account)
        try:
            order = acme.new_order(csr_pem)
        except messages.Error as error:
            if error.code != "accountDoesNotExist":
                raise
            account.uri = ""
            account.uri = register(acme, email)  # the CA forgot the account: register again
            save_account(account)
            order = acme.new_order(csr_pem)
        answers = []
        for authz in order.authorizations:
            name = authz.body.identifier.value
            if authz.body.status == messages.STATUS_VALID:
                continue
            method = method_for(name)
            wanted = challenges.DNS01 if method == "dns-01" else challenges.HTTP01
            challb = next((c for c in authz.body.challenges if isinstance(c.chall, wanted)), None)
            if challb is None:
                raise AcmeRefused(f"The CA offers no {method} challenge for {name}.")
            response, validation = challb.response_and_validation(key)
            token = challb.chall.encode("token")
            publish(name, method, token, validation)
            published.append((name, method, token))
            methods[name] = method
            answers.append((challb, response))
        for challb, response in answers:
            acme.answer_challenge(challb, response)
        # A network timeout on the wall clock, compared by the library with its own naive
        # now(); never business time (core.clock may be frozen on a daily run's day).
        deadline = datetime.datetime.now() + datetime.timedelta(seconds=timeout)  # noqa: DTZ005
        order = acme.poll_and_finalize(order, deadline)
        return Issued(order.fullchain_pem, methods)
    except AcmeError:
        raise
    except errors.ValidationError as error:
        raise AcmeRefused(_failed(error), response=_failed_raw(error)) from None
    except messages.Error as error:
        kind = AcmeTemporary if error.code in TEMPORARY_TYPES else AcmeRefused
        raise kind(f"The CA answered: {error}", response=json.dumps(error.to_json())) from None
    except (errors.TimeoutError, errors.PollError) as error:
        raise AcmeTemporary(f"The CA did not finish in time: {error!r}") from None
    except (requests.RequestException, errors.ClientError) as error:
        raise AcmeTemporary(
            f"The CA at {getattr(settings, 'KYKLOS_ACME_DIRECTORY', '')} did not answer: "
            f"{type(error).__name__}: {error}"
        ) from None
    finally:
        for name, method, token in published:
            withdraw(name, method, token)


def _failed(error: errors.ValidationError) -> str:
    parts = []
    for authzr in error.failed_authzrs:
        name = authzr.body.identifier.value
        for challb in authzr.body.challenges:
            if challb.error is not None:
                parts.append(f"{name} ({challb.chall.typ}): {challb.error}")
    return "The CA could not validate " + ("; ".join(parts) or "the names") + "."


def _failed_raw(error: errors.ValidationError) -> str:
    return json.dumps([a.body.to_json() for a in error.failed_authzrs], indent=1, default=str)
