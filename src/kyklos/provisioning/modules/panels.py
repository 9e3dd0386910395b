"""The control-panel modules; importing this module registers them (``plesk``, ``cpanel``).

``ProvisioningConfig.ready`` imports it once, so products can name these modules by code.
"""

from kyklos.provisioning.modules import cpanel, plesk

__all__ = ["cpanel", "plesk"]
