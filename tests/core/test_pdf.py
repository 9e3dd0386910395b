import base64
import io
import os
import socket
import subprocess
import sys

import pypdf
from django.utils import translation

from kyklos.core import pdf

# A 1×1 PNG.
PIXEL = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cfc0000003010100c9fe92ef"
        "0000000049454e44ae426082"
    )
).decode()


def images_in(document: bytes) -> int:
    page = pypdf.PdfReader(io.BytesIO(document)).pages[0]
    return len(page.images)


def test_html_becomes_a_pdf_with_its_inline_images_and_nothing_fetched(monkeypatch, tmp_path):
    def no_network(*args, **kwargs):
        raise AssertionError("a PDF must not reach the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    local = tmp_path / "logo.png"
    local.write_bytes(base64.b64decode(PIXEL))
    html = (
        "<p>Καλημέρα</p>"
        f'<img src="data:image/png;base64,{PIXEL}">'
        '<img src="https://example.invalid/logo.png">'
        f'<img src="{local.as_uri()}">'
    )
    document = pdf.html_to_pdf(html)
    assert document.startswith(b"%PDF-")
    assert images_in(document) == 1  # the data: URI only
    assert "Καλημέρα" in pypdf.PdfReader(io.BytesIO(document)).pages[0].extract_text()


def test_a_template_is_rendered_in_its_language_with_the_provider(monkeypatch, settings):
    seen = {}

    def render(template, context):
        seen.update(context, template=template, active=translation.get_language())
        return "<p>ok</p>"

    monkeypatch.setattr(pdf, "render_to_string", render)
    assert pdf.render_pdf("x/doc.html", {"total": 5}, "pl").startswith(b"%PDF-")
    assert seen["template"] == "x/doc.html" and seen["active"] == "pl"
    assert seen["language"] == "pl" and seen["total"] == 5
    assert seen["provider"] == settings.KYKLOS_PROVIDER


def test_weasyprint_is_loaded_only_when_a_pdf_is_made():
    code = "import sys, kyklos.core.pdf; print('weasyprint' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
