# The self-assessment fixture (a draft 2025 assessment of the test agency).
from tests.assessment.world import assessment  # noqa: F401
