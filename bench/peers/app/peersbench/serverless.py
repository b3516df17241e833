"""The Lambda handler of serverless-wsgi (its handle_request, as its README shows for use without the plugin)."""
import serverless_wsgi

from demo.wsgi import application


def handler(event, context):
    return serverless_wsgi.handle_request(application, event, context)
