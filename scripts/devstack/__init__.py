"""OpenTera DevStack command-line tools: configure, run and extend the compose stack."""
