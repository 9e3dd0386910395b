"""Greece: AADE myDATA (decision 0019, docs/einvoicing/mydata.md)."""

from kyklos.einvoicing.channels.mydata.channel import MyDataChannel

__all__ = ["MyDataChannel"]
