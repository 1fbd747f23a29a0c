"""What a user may see, following upstream's DBManagerTeraUserAccess (only the parts used so far).

Superadmins see everything. Other users see services linked (t_services_projects) to a project they have
a role in, or (t_services_sites) to a site where they are admin.
"""

from __future__ import annotations

from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraServiceProject import TeraServiceProject
from opentera.db.models.TeraServiceSite import TeraServiceSite
from opentera.db.models.TeraUser import TeraUser
from sqlalchemy import or_

from teraserver.queries import live
from teraserver.queries import services as services_query


class UserAccess:
    def __init__(self, user: TeraUser) -> None:
        self.user = user

    def accessible_projects_ids(self) -> list[int]:
        if self.user.user_superadmin:
            from opentera.db.models.TeraProject import TeraProject

            return [p.id_project for p in TeraProject.query.all()]
        return [project.id_project for project in self.user.get_projects_roles()]

    def admin_sites_ids(self) -> list[int]:
        if self.user.user_superadmin:
            from opentera.db.models.TeraSite import TeraSite

            return [s.id_site for s in TeraSite.query.all()]
        roles = self.user.get_sites_roles()
        return [site.id_site for site, role in roles.items() if role["site_role"] == "admin"]

    def accessible_services(self, full_json: bool = False) -> list[TeraService]:
        query = services_query(full_json)
        if not self.user.user_superadmin:
            query = (
                query.outerjoin(
                    TeraServiceProject,
                    TeraServiceProject.deleted_at.is_(None) & (TeraServiceProject.id_service == TeraService.id_service),
                )
                .outerjoin(
                    TeraServiceSite,
                    TeraServiceSite.deleted_at.is_(None) & (TeraServiceSite.id_service == TeraService.id_service),
                )
                .filter(
                    or_(
                        TeraServiceProject.id_project.in_(self.accessible_projects_ids()),
                        TeraServiceSite.id_site.in_(self.admin_sites_ids()),
                    )
                )
                .distinct()
            )
        return query.order_by(TeraService.id_service).all()

    def accessible_services_ids(self) -> set[int]:
        if self.user.user_superadmin:
            return {row[0] for row in live(TeraService).with_entities(TeraService.id_service).all()}
        return {service.id_service for service in self.accessible_services()}

    def services_for_project(self, id_project: int, full_json: bool = False) -> list[TeraService]:
        ids = self.accessible_services_ids()
        services = (
            services_query(full_json)
            .join(TeraServiceProject, TeraServiceProject.id_service == TeraService.id_service)
            .filter(TeraServiceProject.id_project == id_project, TeraServiceProject.deleted_at.is_(None))
            .filter(TeraService.id_service.in_(ids))
            .all()
        )
        return sorted(services, key=lambda s: s.service_name)

    def services_for_site(self, id_site: int, full_json: bool = False) -> list[TeraService]:
        ids = self.accessible_services_ids()
        services = (
            services_query(full_json)
            .join(TeraServiceSite, TeraServiceSite.id_service == TeraService.id_service)
            .filter(TeraServiceSite.id_site == id_site, TeraServiceSite.deleted_at.is_(None))
            .filter(TeraService.id_service.in_(ids))
            .all()
        )
        return sorted(services, key=lambda s: s.service_name)
