#!/bin/sh
# LWA's handler: its flask-zip example's run.sh with the example project's
# app, bound to loopback (the example binds every address).
exec python -m gunicorn -b=127.0.0.1:$PORT -w=1 demo.wsgi:application
