"""HTML bodies: sanitised with nh3 first, then turned into the plain text of a ticket.

Nothing from an e-mail's HTML reaches a page or the database unsanitised: :func:`sanitise`
keeps a small set of structural tags (no scripts, styles, event handlers, forms, images or
remote resources) and :func:`to_text` walks only that safe result. The quoted history
that mail clients wrap in ``<blockquote>`` or a known container (Gmail's
``gmail_quote``, Outlook's ``divRplyFwdMsg`` and ``appendonsend``, Apple Mail's
``AppleOriginalContents``, Thunderbird's ``moz-cite-prefix``) is left out of the text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

BLOCK_TAGS = {
    "blockquote",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "table",
    "tr",
    "ul",
}
ALLOWED_TAGS = BLOCK_TAGS | {
    "a",
    "b",
    "br",
    "code",
    "em",
    "i",
    "span",
    "strong",
    "tbody",
    "td",
    "th",
    "thead",
    "u",
}
#: Removed with everything inside them.
DROPPED_WITH_CONTENT = {"script", "style", "title", "head", "template", "noscript", "object"}
ALLOWED_ATTRIBUTES = {
    "a": {"href"},
    "div": {"class", "id"},
    "blockquote": {"class", "type"},
    "span": {"class"},
    "hr": {"id"},
}
URL_SCHEMES = {"http", "https", "mailto"}

QUOTE_CLASSES = {"gmail_quote", "moz-cite-prefix", "yahoo_quoted", "AppleOriginalContents"}
QUOTE_IDS = {"divRplyFwdMsg", "appendonsend", "stopSpelling"}


def sanitise(html: str) -> str:
    """``html`` with only harmless structural markup left."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


class _TextWriter(HTMLParser):
    def __init__(self, *, drop_quotes: bool):
        super().__init__(convert_charrefs=True)
        self.drop_quotes = drop_quotes
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, starts a quote)
        self.quoted_depth = 0
        self.cut = False  # after Outlook's reply header everything is history
        self.href: str | None = None

    def _is_quote(self, tag: str, attrs: dict[str, str | None]) -> bool:
        if not self.drop_quotes:
            return False
        classes = set((attrs.get("class") or "").split())
        return (
            tag == "blockquote"
            or bool(classes & QUOTE_CLASSES)
            or (attrs.get("id") or "") in QUOTE_IDS
        )

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if self.drop_quotes and (names.get("id") or "") in {"divRplyFwdMsg", "appendonsend"}:
            self.cut = True
        if tag == "br":
            self._write("\n")
            return
        if tag == "hr":
            self._write("\n")
            return
        quote = self._is_quote(tag, names)
        self.stack.append((tag, quote))
        self.quoted_depth += quote
        if tag == "li":
            self._write("\n- ")
        elif tag in BLOCK_TAGS:
            self._write("\n")
        if tag == "a":
            self.href = names.get("href")

    def handle_endtag(self, tag):
        if tag == "a" and self.href and self.href.startswith(("http:", "https:")):
            self._write(f" <{self.href}>")
            self.href = None
        while self.stack:
            open_tag, quote = self.stack.pop()
            self.quoted_depth -= quote
            if open_tag == tag:
                break
        if tag in {"td", "th"}:
            self._write(" ")
        elif tag in BLOCK_TAGS and tag != "li":
            self._write("\n")

    def handle_data(self, data):
        self._write(re.sub(r"\s+", " ", data))

    def _write(self, text: str) -> None:
        if not self.quoted_depth and not self.cut:
            self.parts.append(text)

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.parts).splitlines()]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def to_text(html: str, *, drop_quotes: bool = True) -> str:
    """Plain text of (sanitised) ``html``; the quoted history left out unless asked."""
    writer = _TextWriter(drop_quotes=drop_quotes)
    writer.feed(sanitise(html))
    writer.close()
    text = writer.text()
    if drop_quotes and not text:
        return to_text(html, drop_quotes=False)  # all of it was a quote: keep it
    return text
