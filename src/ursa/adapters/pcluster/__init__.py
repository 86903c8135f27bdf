"""AWS ParallelCluster: the ``ClusterGateway`` port on the ``pcluster`` CLI, and a static
gateway for one configured cluster."""

from ursa.adapters.pcluster.gateway import HeadNodeAddress, PclusterGateway, PclusterSettings
from ursa.adapters.pcluster.static import StaticClusterGateway

__all__ = ["HeadNodeAddress", "PclusterGateway", "PclusterSettings", "StaticClusterGateway"]
