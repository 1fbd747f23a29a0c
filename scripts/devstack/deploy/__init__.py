"""`devstack deploy`: the same stack on Docker Swarm (issue 19).

`stack` renders the Swarm stack file from `docker compose config` and the service manifests (pure, no Docker);
`swarm` talks to the engine (images, secrets, `docker stack deploy`, health); `command` is the CLI.
"""
