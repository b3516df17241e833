"""An experiment of bench/peers, not a server to deploy: the smallest single-process server in the function.

python -m peersbench.serve PORT MODULE:CALLABLE serves the WSGI app on 127.0.0.1:PORT with the standard
library's wsgiref, a thread per connection (a stuck request still lets the readiness check through), one
request per connection. It shows what gunicorn's master process and its imports cost at cold start; it has
none of gunicorn's limits on request size and header count.
"""
import importlib
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def main(port, target):
    module, _, name = target.partition(":")
    app = getattr(importlib.import_module(module), name)
    server = _Server(("127.0.0.1", int(port)), _Quiet)
    server.set_app(app)
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:])
