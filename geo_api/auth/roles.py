"""The four roles, and what each may see.

- admin: everything, personal data in full (every such read is audited).
- command (the command centre): everything, personal data masked.
- officer (a grid officer): only their own community (or grid), in every read and
  write; personal data in full, since they call the heads (audited).
- planner: geometry and counts only; no endpoint that carries personal data.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "command", "officer", "planner")
LABELS = {"admin": "管理员", "command": "指挥中心", "officer": "网格员", "planner": "规划人员"}


@dataclass(frozen=True)
class Caller:
    """Whoever a request comes from: their key, role and, for officers, their area."""

    key_id: int
    name: str
    role: str
    community_id: int | None = None
    community_code: str | None = None
    grid_id: int | None = None
    grid_code: str | None = None

    @property
    def reveals(self) -> bool:
        """Whether personal data is shown in full (and so audited) to this caller."""
        return self.role in ("admin", "officer")

    @property
    def scoped(self) -> bool:
        """Whether the caller sees only their own community or grid."""
        return self.role == "officer"

    @property
    def personal(self) -> bool:
        """Whether the caller may use endpoints that carry personal data at all."""
        return self.role != "planner"
