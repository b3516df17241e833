"""The Lambda handler of apig-wsgi: the WSGI app wrapped as its README shows, binary responses base64-encoded."""
from apig_wsgi import make_lambda_handler

from demo.wsgi import application

handler = make_lambda_handler(application, binary_support=True)
