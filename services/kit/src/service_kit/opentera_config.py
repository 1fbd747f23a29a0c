"""The opentera package's configuration managers, as one object (imported only when a service starts)."""

from __future__ import annotations

from typing import Any

from opentera.services.ServiceConfigManager import DBConfig, ServiceConfigManager


class KitConfig(ServiceConfigManager, DBConfig):
    """The package's service configuration manager, plus the Database section when the service has one."""

    def __init__(self, with_database: bool = True) -> None:
        ServiceConfigManager.__init__(self)
        DBConfig.__init__(self)
        self.with_database = with_database

    def validate_config(self, config_json: dict[str, Any]) -> bool:
        valid = ServiceConfigManager.validate_config(self, config_json)
        if self.with_database:
            valid = valid and self.validate_database_config(config_json)
        return valid
