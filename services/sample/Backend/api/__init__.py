"""This service's own REST resources (flask-restx namespaces), served under /api after the kit's /api/version and
/api/me."""

from __future__ import annotations

from api import notes, projects

NAMESPACES = (projects.ns, notes.ns)
