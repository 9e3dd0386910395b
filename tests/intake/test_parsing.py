"""Parsing: sender, threading headers, bodies (HTML sanitised, quotes trimmed), attachments,
and bad input reported rather than raised."""

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from kyklos.intake.loops import classify
from kyklos.intake.parsing import parse, safe_filename
from tests.intake.mails import build


def test_a_plain_message_gives_sender_subject_ids_and_text():
    mail = parse(
        build(
            headers={
                "In-Reply-To": "<T-2027-000001.ab12@kyklos.localhost>",
                "References": "<first@example.gr> <T-2027-000001.ab12@kyklos.localhost>",
            }
        )
    )

    assert mail.sender_email == "maria@example.gr"
    assert mail.sender_name == "Maria Nowak"
    assert mail.subject == "My site is down"
    assert mail.message_id == "<m1@mail.example.gr>"
    assert not mail.derived_id
    assert mail.thread_ids == ["<T-2027-000001.ab12@kyklos.localhost>", "<first@example.gr>"]
    assert mail.body == "Hello,\nmaria.gr shows an error 500 since this morning."
    assert mail.problems == []


def test_an_encoded_greek_subject_and_sender_name_are_decoded():
    raw = (
        b"From: =?utf-8?b?zpXOu86tzr3OtyDOoM6xz4DOsc60zr/PgM6/z43Ou86/z4U=?= <ELENI@Example.GR>\r\n"
        b"Subject: =?utf-8?q?=CE=A0=CF=81=CF=8C=CE=B2=CE=BB=CE=B7=CE=BC=CE=B1?=\r\n"
        b"Message-ID: <g1@example.gr>\r\n\r\nBody\r\n"
    )
    mail = parse(raw)

    assert mail.sender_email == "eleni@example.gr"
    assert mail.sender_name == "Ελένη Παπαδοπούλου"
    assert mail.subject == "Πρόβλημα"
    assert mail.guess_language("en") == "el"


def test_a_message_without_message_id_is_known_by_its_bytes():
    raw = build(message_id=None)

    first, again = parse(raw), parse(raw)

    assert first.derived_id
    assert first.message_id == again.message_id
    assert first.message_id.startswith("<sha256-") and first.message_id.endswith(".invalid>")
    assert parse(build(message_id=None, text="other")).message_id != first.message_id


def test_an_html_only_body_is_sanitised_and_its_quote_dropped():
    html = (
        "<html><head><title>t</title><style>p{color:red}</style></head><body>"
        "<p>Please <b>renew</b> <a href='https://maria.gr' onclick='x()'>my site</a>.</p>"
        "<script>alert('x')</script><img src='https://tracker.example/p.gif'>"
        "<div class='gmail_quote'>On Monday you wrote:<blockquote>old text</blockquote></div>"
        "</body></html>"
    )
    mail = parse(build(text=None, html=html))

    assert mail.body == "Please renew my site <https://maria.gr>."


def test_quoted_history_is_trimmed_from_a_plain_reply():
    text = (
        "Thank you, it works now.\n\n"
        "On Mon, 1 Mar 2027 at 10:00, Kyklos Support <support@kyklos.localhost> wrote:\n"
        "> We restarted the server.\n> \n> Kind regards\n"
    )

    assert parse(build(text=text)).body == "Thank you, it works now."


def test_attachments_are_listed_with_safe_names():
    mail = parse(
        build(
            attachments=[
                ("../../etc/passwd", b"x" * 10, "text/plain"),
                ("invoice.pdf", b"%PDF-1.4", "application/pdf"),
                ("", b"\x89PNG", "image/png"),
            ]
        )
    )

    assert [(a.filename, a.content_type, a.size) for a in mail.attachments] == [
        ("passwd", "text/plain", 10),
        ("invoice.pdf", "application/pdf", 8),
        ("attachment-3.png", "image/png", 4),
    ]
    assert safe_filename("a\x00b\x1f.txt", "text/plain", 0) == "ab.txt"


def test_broken_mime_is_reported_not_raised():
    raw = (
        b"From: maria@example.gr\r\nSubject: broken\r\nMessage-ID: <b1@example.gr>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="XYZ"\r\n\r\n'
        b"--XYZ\r\nContent-Type: text/plain\r\n\r\nstart of text\r\n"
        b"--XYZ\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"JVBERi0xLjQK*&^%\r\n"
    )  # no closing boundary, and the base64 is damaged
    mail = parse(raw)

    assert any("CloseBoundaryNotFoundDefect" in p for p in mail.problems)


def test_no_usable_sender_gives_an_empty_sender():
    assert parse(build(sender="undisclosed-recipients:;")).sender_email == ""
    assert parse(build(sender="not an address")).sender_email == ""
    assert parse(build(sender=None)).sender_email == ""


def test_reply_to_stands_in_for_a_broken_from():
    raw = (
        b"From: broken@\r\nReply-To: Maria <maria@example.gr>\r\nSubject: x\r\n"
        b"Message-ID: <r1@example.gr>\r\n\r\nBody\r\n"
    )

    assert parse(raw).sender_email == "maria@example.gr"


HEADER_NAMES = st.sampled_from(
    [
        "From",
        "Reply-To",
        "Subject",
        "Message-ID",
        "References",
        "Content-Type",
        "Return-Path",
        "Content-Transfer-Encoding",
        "Auto-Submitted",
        "Precedence",
        "MIME-Version",
    ]
)


@given(st.binary(max_size=3000))
@hsettings(max_examples=150, deadline=None)
def test_parse_never_raises_on_any_bytes(raw):
    mail = parse(raw)
    assert mail.message_id.startswith("<")


@given(
    st.lists(st.tuples(HEADER_NAMES, st.text(max_size=80)), max_size=8),
    st.text(max_size=300),
)
@hsettings(max_examples=150, deadline=None)
def test_parse_never_raises_on_garbled_headers(headers, body):
    raw = (
        "".join(f"{name}: {value}\r\n" for name, value in headers).encode(
            "utf-8", "surrogateescape"
        )
        + b"\r\n"
        + body.encode("utf-8", "surrogateescape")
    )
    mail = parse(raw)
    classify(mail.message, mail.sender_email)


def _outcome(mail):
    return (
        mail.message_id,
        mail.subject,
        mail.body,
        mail.problems,
        [(a.filename, a.content_type, a.size, a.sha256, a.content) for a in mail.attachments],
    )


def test_bodies_kept_on_disk_give_what_bodies_in_memory_give(monkeypatch):
    inner = build(text="Forwarded\n" * 50, attachments=[("q.zip", bytes(range(256)) * 20, "a/b")])
    raws = [
        build(
            text="Hello\n" * 400,
            attachments=[
                ("scan.pdf", bytes(range(256)) * 40, "application/pdf"),
                ("log.txt", "καλημέρα\r\n".encode() * 300, "text/plain"),
                ("note.eml", inner, "message/rfc822"),
            ],
        ),
        build(text=None, html="<p>" + "Hello " * 1000 + "</p>"),
        (  # quoted-printable, damaged base64, no closing boundary
            b"From: maria@example.gr\r\nMessage-ID: <q1@example.gr>\r\n"
            b'Content-Type: multipart/mixed; boundary="X"\r\n\r\n'
            b"--X\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n"
            b"Content-Disposition: attachment; filename=a.txt\r\n\r\n"
            + b"caf=C3=A9 and a soft =\r\nbreak\r\n" * 300
            + b"--X\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + b"JVBERi0xLjQK*&^%\r\n" * 300
        ),
    ]
    in_memory = [_outcome(parse(raw)) for raw in raws]

    monkeypatch.setattr("kyklos.intake.parsing.SPILL_BYTES", 10)
    on_disk = [_outcome(parse(raw)) for raw in raws]

    assert on_disk == in_memory


def test_a_message_is_parsed_from_a_file_as_from_its_bytes(tmp_path):
    raw = build(message_id=None, attachments=[("a.bin", b"\x00\x01" * 300_000, "a/b")])
    path = tmp_path / "m.eml"
    path.write_bytes(raw)

    with open(path, "rb") as handle:
        mail = parse(handle)

    assert _outcome(mail) == _outcome(parse(raw))
    assert mail.attachments[0].size == 600_000
