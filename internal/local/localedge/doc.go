// Package localedge stands in, on loopback, for what is in front of the
// hostforward Lambda in AWS: the template's CloudFront distribution and an
// API Gateway HTTP API with a $default route to the function (payload
// format 2.0). It plays the distribution as template.yaml configures it
// (ReadDistribution), so a misconfigured policy shows up in `make local`
// before it reaches AWS.
//
// An [Edge] is an http.Handler for the viewer. One request, top to bottom
// (ServeHTTP):
//
//  1. The cache behaviour: the first CacheBehaviors path pattern that
//     matches (case-sensitive, * and ?), else the default.
//  2. Its AllowedMethods: another method gets CloudFront's own 403 page,
//     X-Cache: Error from cloudfront, and no origin is asked.
//  3. The origin request (policy.go): the viewer-request function's
//     X-Forwarded-Host and True-Client-IP (the template's function, played
//     in Go; test/template runs its JavaScript), then only the headers,
//     cookies and query strings the cache policy or the origin request
//     policy passes. Authorization is removed from GET and HEAD unless the
//     cache policy has it (other methods keep it when all viewer headers
//     pass); the viewer's Host passes only under a policy that forwards it
//     (AllViewer, not AllViewerExceptHostHeader), and API Gateway then
//     answers 403; CloudFront-Forwarded-Proto and CloudFront-Viewer-Address
//     are set when a policy names them, overwriting a viewer's copy, and a
//     viewer's copy passes as sent when none does; Accept-Encoding is
//     normalized to br/gzip when the cache policy enables them;
//     X-Forwarded-Proto and X-Real-IP are removed; X-Forwarded-For gets the
//     viewer appended; Via and X-Amz-Cf-Id are added; a User-Agent no policy
//     forwards becomes "Amazon CloudFront".
//  4. The cache (cache.go), for GET and HEAD of CachedMethods: the key is
//     the path and the cache policy's headers, cookies and query strings
//     (not the viewer's Host: CloudFront keys on the distribution, so its
//     alias and its *.cloudfront.net name share entries); a fresh entry is
//     a hit (X-Cache: Hit from cloudfront, Age).
//     A GET's answer is stored for the cache policy's TTLs as CloudFront
//     computes them from Cache-Control (s-maxage, max-age, private,
//     no-store, no-cache) and Expires, with Set-Cookie stored along; 4xx
//     and 5xx answers for their CustomErrorResponses ErrorCachingMinTTL
//     (10 s without one): 400, 403, 412 and 415 only with max-age or
//     s-maxage, no-store honoured on a 4xx and a 501 and ignored on the
//     other 5xx; a 307 or 308 only with Cache-Control.
//     A behaviour that forwards no cookies gets no Set-Cookie. [Edge.Invalidate]
//     plays an invalidation.
//  5. The origin: for an S3 origin the object from the bucket (the origin
//     has no origin path); a missing key is S3's 404 when a bucket policy of
//     the template lets CloudFront list the bucket, its 403 otherwise. For
//     the app origin, the event API Gateway sends: the origin custom headers
//     (X-Origin-Verify, whose secret the edge is given), then API Gateway's
//     X-Forwarded-For (the edge appended), X-Forwarded-Proto,
//     X-Forwarded-Port and X-Amzn-Trace-Id, header names lowercased with
//     repeats joined by commas, cookies in cookies[], rawPath decoded, the
//     query string raw, a body that is not text in base64. The function's
//     answer comes back with cookies as Set-Cookie lines and a base64 body
//     decoded; a request line and header values over the HTTP API's
//     10,240-byte quota (large cookies, a long query) are refused before
//     the function is called; a function error is API Gateway's 500
//     {"message":"Internal Server Error"}, no answer within 30 s a 503.
//  6. The response headers policy (the stack's media policy, the managed
//     SecurityHeadersPolicy): each header set where the origin sent none,
//     or always when the policy overrides; then a conditional GET or HEAD
//     (If-None-Match, If-Modified-Since) of a current object is a 304.
//
// Where the stand-in differs from CloudFront:
//
//   - One edge location, one cache in memory (at most 4,096 objects of at
//     most 10 MB); no regional edge caches, no stale objects served when
//     the origin fails, no revalidation of stale objects with the origin
//     (an expired object is fetched again whole).
//   - Conditional and Range headers of cacheable requests are not sent to
//     the origin: the edge answers conditionals itself and ignores Range
//     (the whole object, 200).
//   - No compression (Compress), no Strict-Transport-Security (it would pin
//     localhost to https in the user's browser for a year), no CORS or
//     Server-Timing response headers, no custom error pages, no WAF, no
//     legacy cache settings: ReadDistribution refuses what it does not
//     model instead of playing it wrong.
//   - Of the CloudFront-* headers only CloudFront-Forwarded-Proto (always
//     https: the edge speaks only HTTPS) and CloudFront-Viewer-Address.
//   - Cached statuses: 200, 203, 204, 300, 301, 302, 307, 308 and 410 by the
//     TTLs, 400, 403, 404, 405, 412, 414, 415 and 500–504 by error caching;
//     a HEAD's answer is not stored.
//   - The viewer-request function is the template's, reimplemented in Go,
//     not run.
//   - An invalidation path is compared with the request path as Go escapes
//     it (URL.EscapedPath), which may differ from CloudFront's encoding for
//     unusual characters.
//   - Vary is ignored, as CloudFront ignores it (Accept-Encoding is in the
//     key when the cache policy enables compression).
//   - A request over the HTTP API's header quota gets 431: the quota is
//     documented, the status API Gateway answers with is not. CloudFront's
//     own request limits (20,480 bytes of headers, 8,192 of URL) are not
//     played; for the app origin the HTTP API's is the smaller.
//   - An event over Lambda's 6 MB invocation payload limit (a body of about
//     4.7 MB in base64 is enough) gets 413 Request Entity Too Large, the
//     status of Lambda's own refusal (RequestTooLargeException): the limit
//     is documented, the status API Gateway answers with is not.
//
// Payload format 2.0: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
// Headers CloudFront adds and removes: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html
// Cache expiration: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Expiration.html
// Error caching: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html
// HTTP API quotas: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
package localedge
