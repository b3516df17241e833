// Package dispatch answers every invocation of hostforward in the
// in-function mode (UPSTREAM_COMMAND): an API Gateway HTTP API event goes to
// the request handler, a management invocation {"manage": [ARGS…]} runs the
// app's management command once checked, and any other payload is a Lambda
// error naming the shapes accepted. API Gateway events always carry
// requestContext, so the two shapes cannot be mistaken for each other.
//
// A management invocation, in call order (Handler.runManage):
//
//  1. check: the invoked function ARN must end in :manage
//     (manageapi.Alias), the alias the template grants apart from the
//     function; the client context must carry manageapi.MarkerKey, which
//     Lambda passes to synchronous invocations only; the command must be on
//     the allow-list (MANAGE_ALLOW), without --settings or --pythonpath, and
//     createsuperuser without a password. A refusal is a
//     *ManageRefusedError.
//  2. Manage.Run (appproc.App.Manage) runs it; its output is cut to
//     Manage.MaxOutput.
//  3. One log line, ran or refused: the request id, what Lambda tells of the
//     caller, the command, the arguments with their secrets masked
//     (maskArgs), the outcome.
//
// See https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
// for the event format, https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
// for the client context, and docs/hostforward.md#management-invocations for
// what each check guards against.
package dispatch
