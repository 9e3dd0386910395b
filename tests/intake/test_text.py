"""Sanitising HTML and trimming quoted history."""

import pytest

from kyklos.intake.html import sanitise, to_text
from kyklos.intake.trimming import REPLY_MARKER, trim_quoted


def test_sanitise_removes_scripts_handlers_styles_and_remote_images():
    dirty = (
        '<p onclick="steal()">Hi<script>alert(1)</script></p>'
        '<img src="https://tracker.example/x.gif"><style>p{}</style>'
        '<a href="javascript:alert(1)">bad</a><a href="https://ok.example">ok</a>'
        '<iframe src="https://evil.example"></iframe><form action="/x"><input></form>'
    )

    assert sanitise(dirty) == (
        '<p>Hi</p><a rel="noopener noreferrer nofollow">bad</a>'
        '<a href="https://ok.example" rel="noopener noreferrer nofollow">ok</a>'
    )


def test_html_to_text_keeps_paragraphs_lists_and_links():
    html = "<p>One</p><p>Two<br>lines</p><ul><li>a</li><li>b</li></ul>"

    assert to_text(html) == "One\n\nTwo\nlines\n\n- a\n- b"


def test_an_outlook_reply_loses_everything_after_its_reply_header():
    html = (
        '<div>Fixed, thanks.</div><hr id="stopSpelling">'
        '<div id="divRplyFwdMsg"><b>From:</b> Support<br><b>Sent:</b> Monday</div>'
        "<div>We restarted the server.</div>"
    )

    assert to_text(html) == "Fixed, thanks."


def test_a_message_that_is_only_a_quote_is_kept():
    assert to_text("<blockquote>only this</blockquote>") == "only this"
    assert trim_quoted("> only a quote\n> here") == "> only a quote\n> here"


@pytest.mark.parametrize(
    "header",
    [
        "On Mon, 1 Mar 2027 at 10:00, Support <support@kyklos.localhost> wrote:",
        "Στις Δευ 1 Μαρ 2027 στις 10:00, ο/η Support <support@kyklos.localhost> έγραψε:",
        "W dniu pon., 1 mar 2027 o 10:00 Support <support@kyklos.localhost> napisał(a):",
        "-----Original Message-----",
        REPLY_MARKER,
    ],
)
def test_reply_headers_in_english_greek_and_polish_cut_the_history(header):
    text = f"New text here.\n\n{header}\n> old line\nold unquoted line\n"

    assert trim_quoted(text) == "New text here."


def test_an_outlook_plain_header_block_cuts_the_history():
    text = "Yes please.\n\nFrom: Support <support@kyklos.localhost>\nSent: Monday\nTo: Maria\n\nOld"

    assert trim_quoted(text) == "Yes please."


def test_inline_answers_between_quotes_are_kept():
    text = "> Which domain?\nmaria.gr\n> Since when?\nThis morning.\n> Kind regards\n"

    assert trim_quoted(text) == "> Which domain?\nmaria.gr\n> Since when?\nThis morning."


def test_a_line_that_merely_mentions_from_is_not_a_header():
    text = "From: my phone I cannot log in.\nPlease help."

    assert trim_quoted(text) == text
