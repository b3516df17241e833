// Package localedge stands in, on loopback, for what is in front of the
// hostforward Lambda in AWS: a CloudFront distribution (its viewer-request
// CloudFront Function, its origin custom header, its S3 origin for static
// and media files) and an API Gateway HTTP API with a $default route to the
// function (payload format 2.0).
//
// An [Edge] is an http.Handler for the viewer. A request for
// /<asset prefix>/… is answered from the S3 bucket, as the distribution's
// cache behaviour for that prefix does (GET and HEAD only; a missing object
// is S3's 403, the answer CloudFront gets with origin access control and no
// s3:ListBucket). Every other request becomes the event API Gateway would
// send, with the headers the distribution would add and nothing else:
//
//   - the CloudFront Function's X-Forwarded-Host (the viewer's Host) and
//     True-Client-IP (the viewer's address);
//   - the origin custom header X-Origin-Verify;
//   - CloudFront-Forwarded-Proto from the app cache policy, X-Forwarded-For
//     with the viewer appended, Via and X-Amz-Cf-Id; CloudFront drops the
//     viewer's X-Forwarded-Proto and X-Real-IP, and AllViewerExceptHostHeader
//     replaces Host with the API's domain;
//   - then API Gateway's X-Forwarded-For (the edge appended),
//     X-Forwarded-Proto, X-Forwarded-Port and X-Amzn-Trace-Id, header names
//     lowercased with repeats joined by commas, cookies split into cookies[],
//     rawPath decoded, the query string raw, a body that is not text in
//     base64.
//
// The function's payload-2.0 response goes back to the viewer: cookies as
// Set-Cookie lines, a base64 body decoded; a function error is API Gateway's
// 500 {"message":"Internal Server Error"}, no answer within API Gateway's
// 30 s a 503. Not modelled: caching, compression, the response headers
// policy (its Strict-Transport-Security would pin localhost to https in the
// user's browser).
//
// Payload format 2.0: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
// Headers CloudFront adds and removes: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html
package localedge
