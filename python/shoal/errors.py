"""Shoal's exceptions, and the mapping from C error codes to them."""

__all__ = ["ShoalError", "UnknownNode", "AddressError", "SocketClosed", "RuntFrame"]


class ShoalError(Exception):
    """Base of every Shoal error. .code is the C error code when one exists."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


class UnknownNode(ShoalError, KeyError):
    """No node or raw host of that name in this simulation."""

    def __str__(self):  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


class AddressError(ShoalError, ValueError):
    """An address, prefix or port that does not parse or is out of range."""


class SocketClosed(ShoalError):
    """The socket was closed (by close() or by closing the simulation)."""


class RuntFrame(ShoalError, ValueError):
    """A frame shorter than an Ethernet header (14 bytes)."""


# Codes from binding.h (enum shoal_binding_err) that have their own class.
_SHOAL_ERUNT = -102
_SHOAL_ECLOSED = -104


def raise_for(code, what, strerror):
    """Raise the exception for negative C code `code`; `strerror` names it."""
    message = f"{what}: {strerror(code)} ({code})"
    if code == _SHOAL_ERUNT:
        raise RuntFrame(message, code)
    if code == _SHOAL_ECLOSED:
        raise SocketClosed(message, code)
    raise ShoalError(message, code)
