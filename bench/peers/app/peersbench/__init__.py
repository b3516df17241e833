"""The example project (examples/djangoapp) as bench/peers.sh runs it under every adapter: its settings and
URLs, plus one view, a 1 MiB binary download (bench/blob/). The handler modules are the in-process adapters'
Lambda handlers, for awslambdaric (python -m awslambdaric peersbench.apig.handler)."""
