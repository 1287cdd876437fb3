"""A local Genesys Cloud-compatible org: FastAPI on uvicorn, SQLite state, seeding, fault injection."""

from __future__ import annotations

from sanitizer.emulator.faults import Faults, FaultStats
from sanitizer.emulator.state import EmulatorConfig
from sanitizer.emulator.testing import EmulatorHandle, running_emulator

__all__ = ["EmulatorConfig", "EmulatorHandle", "FaultStats", "Faults", "running_emulator"]
