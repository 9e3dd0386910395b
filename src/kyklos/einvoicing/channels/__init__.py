"""National e-invoicing channels (myDATA, KSeF, …) behind one contract: :mod:`.base`."""
