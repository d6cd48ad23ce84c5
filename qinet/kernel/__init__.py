"""L0: the discrete-event engine. It knows time and messages, not physics."""

from qinet.kernel.ports import ClassicalChannel, DuplexChannel
from qinet.kernel.timeline import EventHandle, Timeline

__all__ = ["ClassicalChannel", "DuplexChannel", "EventHandle", "Timeline"]
