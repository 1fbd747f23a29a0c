"""TeraServer's real-time side: websockets, presence and the UserManager module, in their own process.

`python -m teraserver` forks it beside the HTTP workers (`python -m teraserver.realtime` runs it alone), so the
workers' request throughput and their TERASERVER_WORKERS / TERASERVER_THREADS model stay as they are.
"""
