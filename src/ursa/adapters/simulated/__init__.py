"""A simulated cluster for ``ursa dev``: one static cluster whose head node "runs" the
pipeline on a timeline (samples finish at different times, chosen samples die of an
out-of-memory kill) and whose exporter writes result objects, benchmark rows and logs to
the object store. It answers the engine's real commands by their meaning (``params``)."""

from ursa.adapters.simulated.cluster import SimulatedCluster, SimulatedStager
from ursa.adapters.simulated.exporter import SimulatedExporter
from ursa.adapters.simulated.headnode import SimulatedHeadNode

__all__ = ["SimulatedCluster", "SimulatedExporter", "SimulatedHeadNode", "SimulatedStager"]
