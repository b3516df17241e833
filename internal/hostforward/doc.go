// Package hostforward turns API Gateway HTTP API (payload format 2.0) events
// into HTTP requests to an upstream app, with the viewer's host, scheme and
// client address restored and checked, and turns the app's responses back.
// [Setup] makes the whole function ready at cold start, with the app running
// inside it when UPSTREAM_COMMAND says so (packages appproc and dispatch).
//
// Behind CloudFront → API Gateway → Lambda the app would otherwise see the API
// Gateway domain as Host, "http" as its scheme and an edge address as the
// client. The CloudFront Function in template.yaml copies the viewer's Host to
// X-Forwarded-Host and the viewer address to True-Client-IP; the distribution
// adds an X-Origin-Verify origin header holding a shared secret. This package
// trusts those headers only when the secret matches, checks the host against
// ALLOWED_HOSTS before anything reaches the app, and replaces every forwarding
// header the client sent. The secret's values come from Secrets Manager by
// ARN (package secretcache), so a rotation is picked up
// without a deploy; the app gets a credential of its own, X-Upstream-Verify,
// that no client can send in its place.
//
// # Cold start, in call order
//
// The function's main reads the [Config] with [ConfigFromEnv] (every variable
// at fault named, the in-function app's included) and hands it to [Setup],
// which returns a ready Lambda handler or an error and leaves nothing running
// on error:
//
//  1. with Config.App (UPSTREAM_COMMAND), appproc.Start starts the app first,
//     so that it boots while the secrets are read;
//  2. [New] reads the secrets named by ARN (loadCredentials, secrets.go)
//     within SecretsTimeout — a VPC without a route to Secrets Manager would
//     otherwise hang until Lambda's 10 s init limit, with nothing logged — and
//     fails, naming the variable, rather than start without the check it was
//     configured with; a failure stops the app. An app in the function read
//     its own credential once, as it started, so the X-Upstream-Verify value
//     is read once too (pinned) rather than follow a rotation the app has not
//     seen;
//  3. with the app, dispatch.New routes management invocations to the app
//     and every other payload to [Handler.Invoke], and appproc's AwaitInit holds the
//     init phase until the app is ready, but not past appproc.InitBudget
//     (async init); under SnapStart (Config.SnapStart, snapstart.go) the
//     init instead waits for a ready app, runs its before-snapshot hook,
//     drops the connections to it and calls restore/next (package
//     snapstart), and after the restore drops them again, checks the app
//     (restarting a dead one) and runs its after-restore hook;
//  4. without the app the handler is the Handler itself (Invoke, event.go:
//     a payload of another shape — payload format 1.0 of a REST API or of
//     an HTTP API integration set to 1.0, an Application Load Balancer
//     event — is a Lambda error naming it, an *UnsupportedEventError, and
//     never reaches the app); with the app, dispatch's, which hands
//     Invoke every payload but a management invocation and passes Invoke's
//     bytes on as they are. Invoke encodes responses as encoding/json does
//     without HTML escaping, which checkPayloadSize assumes, and
//     with the app the handler has lambda.WithEnableSIGTERM:
//     registering it is the only way to have Lambda send SIGTERM (not just
//     SIGKILL) at shutdown, on which the app is stopped and the process exits.
//
// # One request, in call order
//
// [Handler.Invoke] (or [Handler.Handle]) hands the event to serve, which
// hands it to forward, which runs:
//
//  1. checks and request (request.go): newRequest calls lowercaseKeys
//     (header names are tokens, one spelling each), verify (X-Origin-Verify
//     against the secrets), viewerOf (host against ALLOWED_HOSTS, scheme,
//     client address), requestURL (path re-encoded, query checked and kept
//     raw), eventBody and forwardedHeaders (untrusted and underscore names
//     dropped); any failure is a refusal, answered without calling the app;
//  2. proxy: dropStaleConnections (handler.go), then httputil.ReverseProxy,
//     whose Rewrite hook is rewrite (request.go: the app's URL, the raw
//     query restored, the forwarding headers set), and whose writer is the
//     recorder (response.go), watching the body through watchBody;
//  3. response (response.go): recorder.response, responseHeaders
//     (cookies, single-valued headers, ISO-8859-1 values, and privateCacheControl in
//     cachecontrol.go for a response that sets a cookie) and
//     checkPayloadSize;
//  4. errors (errors.go): classify maps an upstream failure to a refusal,
//     errorResponse renders any refusal; then logRequest writes the one log
//     line and serve returns the reply — never a Lambda error;
//  5. encoding (response.go): Invoke writes the reply as JSON with
//     reply.encode, a binary body base64-encoded straight into it; Handle
//     returns reply.response instead.
//
// API Gateway HTTP APIs deliver rawPath percent-decoded (rawQueryString stays
// raw); the path is re-encoded minimally, so "%2F" in a viewer path arrives
// as "/" — a loss API Gateway makes before the function runs.
//
// See https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
// and https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html.
package hostforward
