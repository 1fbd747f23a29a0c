"""The sample OpenTera service's backend: configuration, TeraServer access, database, REST API and web app."""
