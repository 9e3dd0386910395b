"""The registry of payment methods refuses a second method with the same identifier."""

import pytest

from kyklos.payments.methods import BankTransfer, Manual, MethodRegistry


def test_a_payment_method_is_registered_once():
    methods = MethodRegistry({})
    methods.register(BankTransfer)
    methods.register(Manual)

    class OtherTransfer(BankTransfer):
        pass

    with pytest.raises(ValueError, match="payment method 'bank_transfer' is already registered"):
        methods.register(OtherTransfer)
    assert methods.methods["bank_transfer"] is BankTransfer
