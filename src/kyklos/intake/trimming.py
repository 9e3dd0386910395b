"""Trim the quoted history off a plain-text reply.

A reply usually repeats the whole conversation below a header ("On … wrote:", Outlook's
"-----Original Message-----" or its "From:/Sent:" block) and as ``>`` lines. The ticket
already holds that history, so the new text is what is kept. Inline answers between
quoted lines stay as written; only the history at the end goes. A message that is
nothing but a quote is kept whole, so nothing the sender wrote is lost.
"""

from __future__ import annotations

import re

#: Acknowledgements and replies from Kyklos carry this line; what is below it is history.
REPLY_MARKER = "##- Please type your reply above this line -##"

_HEADERS = [
    # English, Greek and Polish clients; a header may wrap onto a second line.
    re.compile(r"^On\b.{4,200}\bwrote:$", re.I),
    re.compile(r"^Στις\b.{4,200}\bέγραψε:$", re.I),
    re.compile(r"^(W dniu|Dnia)\b.{4,200}\b(pisze|napisał|napisała|napisał\(a\)):$", re.I),
    re.compile(r"^-{2,}\s*(Original Message|Αρχικό μήνυμα|Wiadomość oryginalna)\s*-{2,}$", re.I),
    re.compile(r"^-{2,}\s*(Forwarded message|Προωθημένο μήνυμα)\s*-{2,}$", re.I),
    re.compile(r"^_{20,}$"),
]
_OUTLOOK_FROM = re.compile(r"^\*?(From|Από|Od):\*?\s", re.I)
_OUTLOOK_NEXT = re.compile(
    r"^\*?(Sent|Date|Στάλθηκε|Ημερομηνία|Wysłano|Data|To|Προς|Do):\*?\s", re.I
)


def _is_header(lines: list[str], i: int) -> bool:
    line = lines[i].strip()
    if REPLY_MARKER in line:
        return True
    joined = f"{line} {lines[i + 1].strip()}" if i + 1 < len(lines) else line
    if any(p.match(line) or p.match(joined) for p in _HEADERS):
        return True
    if _OUTLOOK_FROM.match(line):
        following = [x.strip() for x in lines[i + 1 : i + 4]]
        return any(_OUTLOOK_NEXT.match(x) for x in following)
    return False


def trim_quoted(text: str) -> str:
    """``text`` without the quoted history at its end."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = next((i for i in range(len(lines)) if _is_header(lines, i)), len(lines))
    kept = lines[:cut]
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()
    result = "\n".join(line.rstrip() for line in kept).strip()
    return result or text.strip()
