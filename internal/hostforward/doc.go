// Package hostforward turns API Gateway HTTP API (payload format 2.0) events
// into HTTP requests to an upstream app, with the viewer's host, scheme and
// client address restored and checked, and turns the app's responses back.
//
// Behind CloudFront → API Gateway → Lambda the app would otherwise see the API
// Gateway domain as Host, "http" as its scheme and an edge address as the
// client. The CloudFront Function in template.yaml copies the viewer's Host to
// X-Forwarded-Host and the viewer address to True-Client-IP; the distribution
// adds an X-Origin-Verify origin header holding a shared secret. This package
// trusts those headers only when the secret matches, checks the host against
// ALLOWED_HOSTS before anything reaches the app, and replaces every forwarding
// header the client sent. The secret's values come from Secrets Manager by
// ARN ([Config.LoadSecrets], package secretcache), so a rotation is picked up
// without a deploy; the app gets a credential of its own, X-Upstream-Verify,
// that no client can send in its place.
//
// API Gateway HTTP APIs deliver rawPath percent-decoded (rawQueryString stays
// raw); the path is re-encoded minimally, so "%2F" in a viewer path arrives
// as "/" — a loss API Gateway makes before the function runs.
//
// See https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
// and https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html.
package hostforward
