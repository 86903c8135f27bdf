"""``ActionThrottle`` on the ``limits`` library: Redis in production, memory in dev."""

from ursa.adapters.throttle.limits_throttle import LimitsThrottle

__all__ = ["LimitsThrottle"]
