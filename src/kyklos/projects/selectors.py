"""Reads: a quote printed as the customer receives it (PDF and file name)."""

from kyklos.projects.documents import quote_filename, quote_pdf

__all__ = ["quote_filename", "quote_pdf"]
