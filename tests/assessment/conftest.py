"""The self-assessment test world: a draft assessment of the test agency, and the processes
world's process and monthly KPI (evidence an assessment result can cite)."""

from tests.assessment.world import assessment  # noqa: F401
from tests.processes import conftest as processes_world

process, kpi = processes_world.process, processes_world.kpi
