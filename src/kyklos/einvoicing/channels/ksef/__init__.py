"""Poland's KSeF channel: FA(3) built with lxml (:mod:`.fa3`), KSeF API 2.0 client
(:mod:`.client`), encryption (:mod:`.crypto`), verification QR links (:mod:`.qr`)."""

from kyklos.einvoicing.channels.ksef.channel import KsefChannel, verification_codes

__all__ = ["KsefChannel", "verification_codes"]
