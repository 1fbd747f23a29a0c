"""TeraServer's real-time side: websockets, presence and the UserManager module, in their own process.

`python -m teraserver` starts it beside the HTTP workers (`python -m teraserver.realtime`), so the workers'
request throughput and their TERASERVER_WORKERS / TERASERVER_THREADS model stay as they are.
"""
