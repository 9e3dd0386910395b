"""Kyklos: the customer side of an internet-services business."""

__version__ = "0.1.0"
