// Package sitecheck audits a live CloudFront + Django site, from the
// outside, for the pitfalls djfront exists to fix: GET/HEAD-only behaviours,
// a cache policy that ignores cookies, the viewer's Host lost on the way to
// the app, http:// links behind a TLS-terminating CDN, static files that are
// not cached or answer 403, an origin anyone can call directly.
//
// It is two halves:
//
//   - Detectors (detect.go): pure functions from recorded exchanges (an
//     [Exchange] is one request and the response it got) to a [Result]. They
//     do no I/O, so each pitfall is tested on the responses CloudFront, API
//     Gateway, S3 and Django really give (testdata/).
//   - The prober (run.go): [Run] sends the requests the detectors need,
//     bounded in number ([Options].MaxRequests), in time (per request and in
//     all) and in what it reads, and harmless: GET, HEAD, OPTIONS and a POST
//     with no body to a path that does not exist. It never writes data and
//     never follows a redirect by itself. Its own transport (dial.go)
//     connects to the hosts the user named at any address, to any other
//     host (a neighbour a page links to) only at a public one.
//
// One run, in order: the page at the URL (unreachable: [ErrUnreachable]);
// http:// on port 80 (https-redirect); the page's Strict-Transport-Security
// (hsts); an OPTIONS and an empty POST to a missing path (methods); a few
// same-site pages linked from the first and Django's admin login (host,
// scheme, cache-cookies, static); the Django probe view with a token
// (host, scheme and csrf made exact); the origin without the distribution
// (origin-bypass).
//
// CloudFront's error pages: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/troubleshooting-response-errors.html
package sitecheck
