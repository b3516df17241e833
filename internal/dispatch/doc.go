// Package dispatch answers every invocation of hostforward in the
// in-function mode (UPSTREAM_COMMAND): an API Gateway HTTP API event goes to
// the request handler, a management invocation {"manage": [ARGS…]} runs the
// app's management command, and any other payload is a Lambda error naming
// the shapes accepted. API Gateway events always carry requestContext, so the
// two shapes cannot be mistaken for each other.
//
// See https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
// for the event format.
package dispatch
