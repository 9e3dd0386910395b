from tests.dns.pdns import powerdns, powerdns_server  # noqa: F401
