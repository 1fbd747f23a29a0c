"""OpenTera DevStack command-line tools: configure, run and extend the compose stack."""

DISTRIBUTION = "opentera-devstack"  # pyproject.toml's name: the installed version is read under it
