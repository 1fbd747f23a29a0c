"""Our own OpenTera TeraServer, built on the `opentera` 1.3.1 package (see services/teraserver/README.md)."""

# Alembic head of upstream OpenTera 1.3.0: a fresh schema is stamped at this revision so that an
# upstream server (or its migrations) pointed at the same database later sees it as up to date.
ALEMBIC_HEAD = "6b9c4707d8ef"
