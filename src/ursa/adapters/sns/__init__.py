"""SNS adapter: publishes domain events to a topic."""

from ursa.adapters.sns.notifier import SnsNotifier

__all__ = ["SnsNotifier"]
