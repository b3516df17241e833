package template_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Managed CloudFront policies (DeveloperGuide: using-managed-cache-policies,
// using-managed-origin-request-policies, using-managed-response-headers-policies).
const (
	cachingOptimized          = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	allViewerExceptHostHeader = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
	securityHeadersPolicy     = "67f7725c-6f97-4210-82d7-5512b31e9d03"
)

// originVerifyReference is how the distribution gets the shared secret at
// creation: a dynamic reference, resolved by CloudFormation at deploy time,
// never a value in the template. (hostforward reads it by ARN.)
const originVerifyReference = `{"Fn::Sub": "{{resolve:secretsmanager:${OriginVerifySecret}:SecretString}}"}`

// TestResources asserts each requirement of the distribution, the bucket,
// the queues and the functions on the template deployed without a custom
// domain; TestCustomDomain covers what the domain changes.
func TestResources(t *testing.T) {
	tpl := deploy(t, translate(t, noDomain), noDomain)
	res := tpl["Resources"]

	tests := []struct {
		name, path, want string
	}{
		// The app behaviour.
		{"all seven methods reach the app", "Distribution.Properties.DistributionConfig.DefaultCacheBehavior.AllowedMethods",
			`["GET","HEAD","OPTIONS","PUT","PATCH","POST","DELETE"]`},
		{"only GET and HEAD are cached", "Distribution.Properties.DistributionConfig.DefaultCacheBehavior.CachedMethods",
			`["GET","HEAD"]`},
		{"viewers are redirected to https", "Distribution.Properties.DistributionConfig.DefaultCacheBehavior.ViewerProtocolPolicy",
			`"redirect-to-https"`},
		{"API Gateway keeps its own Host", "Distribution.Properties.DistributionConfig.DefaultCacheBehavior.OriginRequestPolicyId",
			`"` + allViewerExceptHostHeader + `"`},
		{"security headers on the app", "Distribution.Properties.DistributionConfig.DefaultCacheBehavior.ResponseHeadersPolicyId",
			`"` + securityHeadersPolicy + `"`},
		{"app cache policy", "Distribution.Properties.DistributionConfig.DefaultCacheBehavior.CachePolicyId",
			`{"Ref":"AppCachePolicy"}`},
		{"app compressed", "Distribution.Properties.DistributionConfig.DefaultCacheBehavior.Compress", `true`},
		{"edge function on viewer requests", "Distribution.Properties.DistributionConfig.DefaultCacheBehavior.FunctionAssociations",
			`[{"EventType":"viewer-request","FunctionARN":{"Fn::GetAtt":["ViewerRequestFunction","FunctionMetadata.FunctionARN"]}}]`},
		{"default behaviour goes to the app", "Distribution.Properties.DistributionConfig.DefaultCacheBehavior.TargetOriginId", `"App"`},
		{"app origin is the HTTP API", "Distribution.Properties.DistributionConfig.Origins[Id=App].DomainName",
			`{"Fn::Sub":"${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}`},
		{"app origin over TLS 1.2 only", "Distribution.Properties.DistributionConfig.Origins[Id=App].CustomOriginConfig",
			`{"OriginProtocolPolicy":"https-only","OriginSSLProtocols":["TLSv1.2"],"HTTPSPort":443,"OriginReadTimeout":30}`},
		{"app origin sends the secret", "Distribution.Properties.DistributionConfig.Origins[Id=App].OriginCustomHeaders",
			`[{"HeaderName":"X-Origin-Verify","HeaderValue":` + originVerifyReference + `}]`},
		{"HTTP/2 and HTTP/3", "Distribution.Properties.DistributionConfig.HttpVersion", `"http2and3"`},
		{"IPv6", "Distribution.Properties.DistributionConfig.IPV6Enabled", `true`},
		{"price class parameter", "Distribution.Properties.DistributionConfig.PriceClass", `"PriceClass_100"`},

		// Django decides what is cached: default TTL 0, everything it varies on
		// (query strings, cookies, scheme, credentials) in the key, gzip and
		// brotli. MaxTTL above 0 lets the policy carry headers, cookies and
		// query strings at all: an all-zero policy cannot. Authorization must
		// be in the key, or CloudFront strips it from GET and HEAD requests.
		{"default TTL 0, min TTL 0, max TTL a year", "AppCachePolicy.Properties.CachePolicyConfig",
			`{"Name":{"Fn::Join":["-",["djfront-app",{"Fn::Select":[2,{"Fn::Split":["/",{"Ref":"AWS::StackId"}]}]}]]},
			  "Comment":"djfront app pages, cached only as the app's Cache-Control allows.",
			  "DefaultTTL":0,"MinTTL":0,"MaxTTL":31536000,
			  "ParametersInCacheKeyAndForwardedToOrigin":{"EnableAcceptEncodingGzip":true,"EnableAcceptEncodingBrotli":true,
			    "CookiesConfig":{"CookieBehavior":"all"},"QueryStringsConfig":{"QueryStringBehavior":"all"},
			    "HeadersConfig":{"HeaderBehavior":"whitelist","Headers":["CloudFront-Forwarded-Proto","Authorization"]}}}`},

		// Static and media files.
		{"static and media from S3, GET/HEAD, CachingOptimized", "Distribution.Properties.DistributionConfig.CacheBehaviors",
			`[{"PathPattern":"static/*","TargetOriginId":"Assets","ViewerProtocolPolicy":"redirect-to-https",
			   "AllowedMethods":["GET","HEAD"],"CachedMethods":["GET","HEAD"],"Compress":true,
			   "CachePolicyId":"` + cachingOptimized + `","ResponseHeadersPolicyId":"` + securityHeadersPolicy + `"},
			  {"PathPattern":"media/*","TargetOriginId":"Assets","ViewerProtocolPolicy":"redirect-to-https",
			   "AllowedMethods":["GET","HEAD"],"CachedMethods":["GET","HEAD"],"Compress":true,
			   "CachePolicyId":"` + cachingOptimized + `","ResponseHeadersPolicyId":{"Ref":"MediaResponseHeadersPolicy"}}]`},
		// Uploads are served sandboxed: an uploaded HTML or SVG file must not
		// run as the site's own script.
		{"media sandboxed, not sniffed, security headers kept", "MediaResponseHeadersPolicy.Properties.ResponseHeadersPolicyConfig",
			`{"Name":{"Fn::Join":["-",["djfront-media",{"Fn::Select":[2,{"Fn::Split":["/",{"Ref":"AWS::StackId"}]}]}]]},
			  "Comment":"djfront user uploads, sandboxed; security headers as SecurityHeadersPolicy.",
			  "SecurityHeadersConfig":{
			    "ContentSecurityPolicy":{"ContentSecurityPolicy":"sandbox","Override":true},
			    "ContentTypeOptions":{"Override":true},
			    "StrictTransportSecurity":{"AccessControlMaxAgeSec":31536000,"Override":false},
			    "FrameOptions":{"FrameOption":"SAMEORIGIN","Override":false},
			    "ReferrerPolicy":{"ReferrerPolicy":"strict-origin-when-cross-origin","Override":false},
			    "XSSProtection":{"Protection":true,"ModeBlock":true,"Override":false}}}`},
		// Server errors are never cached (CloudFront would serve one failed
		// answer to everyone for 10 s, ignoring no-store); 404 briefly.
		{"5xx not cached, 404 for 10 s", "Distribution.Properties.DistributionConfig.CustomErrorResponses",
			`[{"ErrorCode":404,"ErrorCachingMinTTL":10},{"ErrorCode":500,"ErrorCachingMinTTL":0},
			  {"ErrorCode":502,"ErrorCachingMinTTL":0},{"ErrorCode":503,"ErrorCachingMinTTL":0},
			  {"ErrorCode":504,"ErrorCachingMinTTL":0}]`},
		{"assets origin through origin access control", "Distribution.Properties.DistributionConfig.Origins[Id=Assets]",
			`{"Id":"Assets","DomainName":{"Fn::GetAtt":["AssetsBucket","RegionalDomainName"]},
			  "OriginAccessControlId":{"Fn::GetAtt":["AssetsOriginAccessControl","Id"]},
			  "S3OriginConfig":{"OriginAccessIdentity":""}}`},
		{"OAC signs every S3 request", "AssetsOriginAccessControl.Properties.OriginAccessControlConfig.SigningBehavior", `"always"`},
		{"OAC for S3", "AssetsOriginAccessControl.Properties.OriginAccessControlConfig.OriginAccessControlOriginType", `"s3"`},
		{"OAC with SigV4", "AssetsOriginAccessControl.Properties.OriginAccessControlConfig.SigningProtocol", `"sigv4"`},
		{"bucket not public", "AssetsBucket.Properties.PublicAccessBlockConfiguration",
			`{"BlockPublicAcls":true,"BlockPublicPolicy":true,"IgnorePublicAcls":true,"RestrictPublicBuckets":true}`},
		{"bucket owner enforced", "AssetsBucket.Properties.OwnershipControls", `{"Rules":[{"ObjectOwnership":"BucketOwnerEnforced"}]}`},
		{"bucket encrypted", "AssetsBucket.Properties.BucketEncryption",
			`{"ServerSideEncryptionConfiguration":[{"ServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}`},
		{"bucket versioned", "AssetsBucket.Properties.VersioningConfiguration", `{"Status":"Enabled"}`},
		{"noncurrent versions expire", "AssetsBucket.Properties.LifecycleConfiguration.Rules[Id=expire-noncurrent-versions].NoncurrentVersionExpiration",
			`{"NoncurrentDays":7}`},
		{"bucket kept when the stack goes", "AssetsBucket.DeletionPolicy", `"Retain"`},
		{"only this distribution reads, only the asset prefixes", "AssetsBucketPolicy.Properties.PolicyDocument.Statement[Sid=CloudFrontReadsAssets]",
			`{"Sid":"CloudFrontReadsAssets","Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject",
			  "Resource":[{"Fn::Sub":"${AssetsBucket.Arn}/static/*"},{"Fn::Sub":"${AssetsBucket.Arn}/media/*"}],
			  "Condition":{"StringEquals":{"AWS:SourceArn":{"Fn::Sub":"arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}"}}}}`},
		{"a missing file is a 404, not a 403: this distribution may list", "AssetsBucketPolicy.Properties.PolicyDocument.Statement[Sid=CloudFrontSeesMissingFiles]",
			`{"Sid":"CloudFrontSeesMissingFiles","Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:ListBucket",
			  "Resource":{"Fn::GetAtt":["AssetsBucket","Arn"]},
			  "Condition":{"StringEquals":{"AWS:SourceArn":{"Fn::Sub":"arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}"}}}}`},
		{"no request without TLS, to the bucket or its objects", "AssetsBucketPolicy.Properties.PolicyDocument.Statement[Sid=TLSOnly]",
			`{"Sid":"TLSOnly","Effect":"Deny","Principal":"*","Action":"s3:*",
			  "Resource":[{"Fn::GetAtt":["AssetsBucket","Arn"]},{"Fn::Sub":"${AssetsBucket.Arn}/*"}],
			  "Condition":{"Bool":{"aws:SecureTransport":"false"}}}`},

		// The HTTP API.
		{"HTTP API $default route, payload 2.0, to the function", "HttpApi.Properties.Body.paths.$default.x-amazon-apigateway-any-method.x-amazon-apigateway-integration",
			`{"type":"aws_proxy","httpMethod":"POST","payloadFormatVersion":"2.0","uri":{"Fn::Sub":[
			   "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${Name}${Qualifier}/invocations",
			   {"Name":{"Fn::Join":["-",["djfront-hostforward",{"Fn::Select":[2,{"Fn::Split":["/",{"Ref":"AWS::StackId"}]}]}]]},"Qualifier":""}]}}`},
		{"HTTP API $default stage: throttled, access logs", "HttpApiApiGatewayDefaultStage.Properties",
			`{"ApiId":{"Ref":"HttpApi"},"StageName":"$default","AutoDeploy":true,"Tags":{"httpapi:createdBy":"SAM"},
			  "DefaultRouteSettings":{"ThrottlingRateLimit":"100","ThrottlingBurstLimit":"200"},
			  "AccessLogSettings":{"DestinationArn":{"Fn::GetAtt":["HttpApiAccessLogGroup","Arn"]},
			    "Format":` + accessLogFormat + `}}`},
		{"access logs kept as long as the functions'", "HttpApiAccessLogGroup.Properties", `{"RetentionInDays":"30"}`},
		{"no WAF unless asked", "Distribution.Properties.DistributionConfig.WebACLId", `null`},
		{"no reserved concurrency unless asked", "HostForwardFunction.Properties.ReservedConcurrentExecutions", `null`},
		{"API Gateway may invoke, from this API only", "HostForwardPermission.Properties",
			`{"Action":"lambda:InvokeFunction","FunctionName":{"Ref":"HostForwardFunction"},"Principal":"apigateway.amazonaws.com",
			  "SourceArn":{"Fn::Sub":"arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${HttpApi}/*"}}`},

		// The functions' configuration.
		{"hostforward environment", "HostForwardFunction.Properties.Environment.Variables",
			`{"UPSTREAM_URL":"https://app.example.com","ALLOWED_HOSTS":{"Fn::GetAtt":["Distribution","DomainName"]},
			  "ORIGIN_VERIFY_SECRET_ARN":{"Ref":"OriginVerifySecret"},"UPSTREAM_VERIFY_SECRET_ARN":{"Ref":"UpstreamVerifySecret"},
			  "ORIGIN_VERIFY_SECRETS":"","UPSTREAM_VERIFY_SECRET":"","UPSTREAM_TIMEOUT":"25s"}`},
		{"invalidate environment", "InvalidateFunction.Properties.Environment.Variables",
			`{"DISTRIBUTION_ID":{"Ref":"Distribution"},"ORIGIN_PATH":"","MAX_PATHS":"15","STATIC_PREFIX":"static"}`},
		{"secret generated, never written", "OriginVerifySecret.Properties.GenerateSecretString",
			`{"PasswordLength":48,"ExcludePunctuation":true}`},
		{"edge function runtime", "ViewerRequestFunction.Properties.FunctionConfig.Runtime", `"cloudfront-js-2.0"`},
		{"edge function published", "ViewerRequestFunction.Properties.AutoPublish", `true`},

		// S3 -> SQS -> invalidate.
		{"created and removed, static and media", "AssetsBucket.Properties.NotificationConfiguration.QueueConfigurations",
			`[{"Event":"s3:ObjectCreated:*","Queue":{"Fn::GetAtt":["InvalidationQueue","Arn"]},"Filter":{"S3Key":{"Rules":[{"Name":"prefix","Value":"static/"}]}}},
			  {"Event":"s3:ObjectRemoved:*","Queue":{"Fn::GetAtt":["InvalidationQueue","Arn"]},"Filter":{"S3Key":{"Rules":[{"Name":"prefix","Value":"static/"}]}}},
			  {"Event":"s3:ObjectCreated:*","Queue":{"Fn::GetAtt":["InvalidationQueue","Arn"]},"Filter":{"S3Key":{"Rules":[{"Name":"prefix","Value":"media/"}]}}},
			  {"Event":"s3:ObjectRemoved:*","Queue":{"Fn::GetAtt":["InvalidationQueue","Arn"]},"Filter":{"S3Key":{"Rules":[{"Name":"prefix","Value":"media/"}]}}}]`},
		{"only this bucket may notify the queue", "AssetsQueuePolicy.Properties.PolicyDocument.Statement",
			`[{"Sid":"AssetsBucketNotifies","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sqs:SendMessage",
			   "Resource":{"Fn::GetAtt":["InvalidationQueue","Arn"]},
			   "Condition":{"ArnEquals":{"aws:SourceArn":{"Fn::Sub":["arn:${AWS::Partition}:s3:::${Bucket}",
			     {"Bucket":{"Fn::Join":["-",["djfront-assets",{"Fn::Select":[2,{"Fn::Split":["/",{"Ref":"AWS::StackId"}]}]}]]}}]}},
			     "StringEquals":{"aws:SourceAccount":{"Ref":"AWS::AccountId"}}}}]`},
		{"queue redrives to the DLQ", "InvalidationQueue.Properties.RedrivePolicy",
			`{"deadLetterTargetArn":{"Fn::GetAtt":["InvalidationDeadLetterQueue","Arn"]},"maxReceiveCount":5}`},
		{"DLQ keeps messages 14 days", "InvalidationDeadLetterQueue.Properties.MessageRetentionPeriod", `1209600`},
		{"queue keeps messages 4 days, less than the DLQ", "InvalidationQueue.Properties.MessageRetentionPeriod", `345600`},
		{"alarm on any message in the DLQ", "InvalidationDeadLetterAlarm.Properties",
			`{"AlarmDescription":{"Fn::Sub":"${AWS::StackName}: S3 events reached the invalidation dead-letter queue, so some CloudFront paths were not invalidated. Inspect the messages, fix, redrive."},
			  "Namespace":"AWS/SQS","MetricName":"ApproximateNumberOfMessagesVisible",
			  "Dimensions":[{"Name":"QueueName","Value":{"Fn::GetAtt":["InvalidationDeadLetterQueue","QueueName"]}}],
			  "Statistic":"Maximum","Period":300,"EvaluationPeriods":1,"Threshold":0,
			  "ComparisonOperator":"GreaterThanThreshold","TreatMissingData":"notBreaching"}`},
		{"SQS feeds the invalidate function in batches", "InvalidationEventSource.Properties",
			`{"EventSourceArn":{"Fn::GetAtt":["InvalidationQueue","Arn"]},"FunctionName":{"Ref":"InvalidateFunction"},
			  "BatchSize":1000,"MaximumBatchingWindowInSeconds":"30","FunctionResponseTypes":["ReportBatchItemFailures"],
			  "ScalingConfig":{"MaximumConcurrency":2}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == `null` {
				if has(res, tt.path) {
					t.Errorf("got %v, want none", at(t, res, tt.path))
				}
				return
			}
			checkJSON(t, at(t, res, tt.path), tt.want)
		})
	}
}

// accessLogFormat is the HTTP API's access log line, as JSON text: one JSON
// object per request with API Gateway's request id.
const accessLogFormat = `"{\"requestId\":\"$context.requestId\",\"ip\":\"$context.identity.sourceIp\", ` +
	`\"requestTime\":\"$context.requestTime\",\"httpMethod\":\"$context.httpMethod\", ` +
	`\"path\":\"$context.path\",\"protocol\":\"$context.protocol\",\"status\":\"$context.status\", ` +
	`\"responseLength\":\"$context.responseLength\",\"responseLatency\":\"$context.responseLatency\", ` +
	`\"integrationStatus\":\"$context.integrationStatus\",\"integrationLatency\":\"$context.integrationLatency\", ` +
	`\"integrationError\":\"$context.integrationErrorMessage\",\"errorMessage\":\"$context.error.message\"}"`

// TestAccessLogFormat checks that every access log line is one JSON object.
func TestAccessLogFormat(t *testing.T) {
	res := translate(t, noDomain)["Resources"]
	format, _ := at(t, res, "HttpApiApiGatewayDefaultStage.Properties.AccessLogSettings.Format").(string)
	line := regexp.MustCompile(`\$context\.[A-Za-z.]+`).ReplaceAllString(format, "x")
	var v map[string]string
	if err := json.Unmarshal([]byte(line), &v); err != nil {
		t.Fatalf("the access log format is not a JSON object: %v\n%s", err, format)
	}
	if v["requestId"] != "x" {
		t.Errorf("the access log line has no requestId: %s", format)
	}
}

// TestAlarms checks the alarms next to the dead-letter queue's: function
// errors and throttles, events of a shape hostforward does not serve and
// the API's 5xx rate, each notifying the alarm topic when there is one.
func TestAlarms(t *testing.T) {
	const topic = "arn:aws:sns:us-east-1:123456789012:alarms"
	tests := []struct{ name, namespace, metric, dims, statistic, threshold string }{
		{"HostForwardUnsupportedEventsAlarm", "", "UnsupportedEvents", "null", "Sum", "0"},
		{"HostForwardErrorsAlarm", "AWS/Lambda", "Errors", `[{"Name":"FunctionName","Value":{"Ref":"HostForwardFunction"}}]`, "Sum", "0"},
		{"HostForwardThrottlesAlarm", "AWS/Lambda", "Throttles", `[{"Name":"FunctionName","Value":{"Ref":"HostForwardFunction"}}]`, "Sum", "0"},
		{"InvalidateErrorsAlarm", "AWS/Lambda", "Errors", `[{"Name":"FunctionName","Value":{"Ref":"InvalidateFunction"}}]`, "Sum", "0"},
		{"RotateErrorsAlarm", "AWS/Lambda", "Errors", `[{"Name":"FunctionName","Value":{"Ref":"RotateFunction"}}]`, "Sum", "0"},
		{"HttpApi5xxAlarm", "AWS/ApiGateway", "5xx", `[{"Name":"ApiId","Value":{"Ref":"HttpApi"}},{"Name":"Stage","Value":"$default"}]`, "Average", "0.05"},
		{"InvalidationDeadLetterAlarm", "AWS/SQS", "ApproximateNumberOfMessagesVisible",
			`[{"Name":"QueueName","Value":{"Fn::GetAtt":["InvalidationDeadLetterQueue","QueueName"]}}]`, "Maximum", "0"},
	}
	params := map[string]string{"UpstreamUrl": "https://app.example.com", "AlarmTopicArn": topic}
	with := deploy(t, translate(t, params), params)["Resources"]
	without := deploy(t, translate(t, noDomain), noDomain)["Resources"]
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := at(t, with, tt.name+".Properties")
			if tt.namespace != "" {
				checkJSON(t, at(t, p, "Namespace"), `"`+tt.namespace+`"`)
				checkJSON(t, at(t, p, "Dimensions"), tt.dims)
			}
			checkJSON(t, at(t, p, "MetricName"), `"`+tt.metric+`"`)
			checkJSON(t, at(t, p, "Statistic"), `"`+tt.statistic+`"`)
			checkJSON(t, at(t, p, "Threshold"), tt.threshold)
			checkJSON(t, at(t, p, "ComparisonOperator"), `"GreaterThanThreshold"`)
			checkJSON(t, at(t, p, "TreatMissingData"), `"notBreaching"`)
			checkJSON(t, at(t, p, "AlarmActions"), `["`+topic+`"]`)
			if has(without, tt.name+".Properties.AlarmActions") {
				t.Errorf("without a topic: got alarm actions %v, want none", at(t, without, tt.name+".Properties.AlarmActions"))
			}
		})
	}
}

// TestUnsupportedEventsMetric: the metric filter counts, in the log group
// both app modes write to, the lines hostforward logs for an event of a
// shape it does not serve, into the metric its alarm watches.
func TestUnsupportedEventsMetric(t *testing.T) {
	res := deploy(t, translate(t, noDomain), noDomain)["Resources"]
	f := at(t, res, "HostForwardUnsupportedEventsFilter.Properties")
	checkJSON(t, at(t, f, "LogGroupName"), `{"Ref":"HostForwardLogGroup"}`)
	checkJSON(t, at(t, f, "FilterPattern"), `"{ $.error_type = \"UnsupportedEventError\" }"`)
	m := at(t, f, "MetricTransformations").([]any)[0]
	a := at(t, res, "HostForwardUnsupportedEventsAlarm.Properties")
	checkJSON(t, at(t, m, "MetricNamespace"), mustJSON(t, at(t, a, "Namespace")))
	checkJSON(t, at(t, m, "MetricName"), `"UnsupportedEvents"`)
	checkJSON(t, at(t, m, "MetricValue"), `"1"`)
	raw := rawTemplate(t)["Resources"]
	for _, fn := range []string{"HostForwardFunction", "AppFunction"} {
		checkJSON(t, at(t, raw, fn+".Properties.LoggingConfig.LogGroup"), `{"Ref":"HostForwardLogGroup"}`)
	}
}

// TestOptionalProtections deploys the template with a WAF web ACL and a
// reserved concurrency, which are off by default (TestResources).
func TestOptionalProtections(t *testing.T) {
	const acl = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/site/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
	params := map[string]string{"UpstreamUrl": "https://app.example.com", "WebAclArn": acl,
		"HostForwardReservedConcurrency": "20", "ApiThrottlingRateLimit": "5", "ApiThrottlingBurstLimit": "10"}
	res := deploy(t, translate(t, params), params)["Resources"]
	checkJSON(t, at(t, res, "Distribution.Properties.DistributionConfig.WebACLId"), `"`+acl+`"`)
	checkJSON(t, at(t, res, "HostForwardFunction.Properties.ReservedConcurrentExecutions"), `"20"`)
	checkJSON(t, at(t, res, "HttpApiApiGatewayDefaultStage.Properties.DefaultRouteSettings"),
		`{"ThrottlingRateLimit":"5","ThrottlingBurstLimit":"10"}`)
}

// TestFunctions asserts what both Lambda functions share: the runtime, the
// build, and logs kept for the configured time.
func TestFunctions(t *testing.T) {
	tpl := deploy(t, translate(t, noDomain), noDomain)
	res := tpl["Resources"]
	for _, name := range []string{"HostForwardFunction", "InvalidateFunction", "RotateFunction"} {
		t.Run(name, func(t *testing.T) {
			fn := at(t, res, name)
			checkJSON(t, at(t, fn, "Type"), `"AWS::Lambda::Function"`)
			checkJSON(t, at(t, fn, "Properties.Runtime"), `"provided.al2023"`)
			checkJSON(t, at(t, fn, "Properties.Architectures"), `["arm64"]`)
			checkJSON(t, at(t, fn, "Properties.Handler"), `"bootstrap"`)
			checkJSON(t, at(t, fn, "Metadata"), `{"BuildMethod":"makefile"}`)
			checkJSON(t, at(t, fn, "Properties.LoggingConfig.LogFormat"), `"JSON"`)
			group, _ := at(t, fn, "Properties.LoggingConfig.LogGroup").(map[string]any)["Ref"].(string)
			checkJSON(t, at(t, res, group+".Properties.RetentionInDays"), `"30"`)
		})
	}
}

// TestQueueVisibilityTimeout checks Lambda's advice for SQS event sources:
// the visibility timeout is at least six times the function's timeout.
func TestQueueVisibilityTimeout(t *testing.T) {
	res := translate(t, noDomain)["Resources"]
	visibility := number(t, at(t, res, "InvalidationQueue.Properties.VisibilityTimeout"))
	timeout := number(t, at(t, res, "InvalidateFunction.Properties.Timeout"))
	if visibility < 6*timeout {
		t.Errorf("queue visibility timeout %vs < 6 × function timeout %vs", visibility, timeout)
	}
}

// TestIAM asserts every permission the stack grants, exactly: a new
// permission must be added here on purpose.
func TestIAM(t *testing.T) {
	const basicExecution = `["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]`
	res := deploy(t, translate(t, noDomain), noDomain)["Resources"].(map[string]any)

	t.Run("only these IAM resources", func(t *testing.T) {
		var got []string
		for name, r := range res {
			if strings.HasPrefix(r.(map[string]any)["Type"].(string), "AWS::IAM::") {
				got = append(got, name)
			}
		}
		slices.Sort(got)
		want := []string{"CollectstaticPolicy", "HostForwardFunctionRole", "InvalidateFunctionRole", "MediaUploadPolicy", "RotateFunctionRole"}
		if !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("hostforward logs and reads its two secrets", func(t *testing.T) {
		checkJSON(t, at(t, res, "HostForwardFunctionRole.Properties.ManagedPolicyArns"),
			`[{"Fn::Sub":"arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}]`)
		checkJSON(t, at(t, res, "HostForwardFunctionRole.Properties.Policies"), `[{"PolicyName":"ReadItsSecrets","PolicyDocument":{
			"Version":"2012-10-17","Statement":[{"Sid":"ReadItsSecrets","Effect":"Allow","Action":"secretsmanager:GetSecretValue",
			"Resource":[{"Ref":"OriginVerifySecret"},{"Ref":"UpstreamVerifySecret"}]},
			{"Sid":"ListItsSecretVersions","Effect":"Allow","Action":"secretsmanager:ListSecretVersionIds",
			"Resource":[{"Ref":"OriginVerifySecret"},{"Ref":"UpstreamVerifySecret"}]}]}}]`)
	})
	t.Run("rotate: this secret, this distribution", func(t *testing.T) {
		checkJSON(t, at(t, res, "RotateFunctionRole.Properties.ManagedPolicyArns"), basicExecution)
		checkJSON(t, at(t, res, "RotateFunctionRole.Properties.Policies"), `[{"PolicyName":"RotateFunctionRolePolicy0","PolicyDocument":{"Statement":[
			{"Sid":"RotateOriginVerifySecret","Effect":"Allow","Action":["secretsmanager:DescribeSecret","secretsmanager:GetSecretValue",
			 "secretsmanager:ListSecretVersionIds","secretsmanager:PutSecretValue","secretsmanager:UpdateSecretVersionStage"],"Resource":{"Ref":"OriginVerifySecret"}},
			{"Sid":"SetOriginHeader","Effect":"Allow","Action":["cloudfront:GetDistribution","cloudfront:GetDistributionConfig","cloudfront:UpdateDistribution"],
			 "Resource":{"Fn::Sub":"arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}"}}]}}]`)
	})
	t.Run("invalidate: this distribution, this bucket, this queue", func(t *testing.T) {
		checkJSON(t, at(t, res, "InvalidateFunctionRole.Properties.ManagedPolicyArns"), basicExecution)
		checkJSON(t, at(t, res, "InvalidateFunctionRole.Properties.Policies"), `[{"PolicyName":"InvalidateFunctionRolePolicy0","PolicyDocument":{"Statement":[
			{"Sid":"InvalidateThisDistribution","Effect":"Allow","Action":"cloudfront:CreateInvalidation",
			 "Resource":{"Fn::Sub":"arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}"}},
			{"Sid":"CompareWithPreviousVersion","Effect":"Allow","Action":"s3:ListBucketVersions",
			 "Resource":{"Fn::GetAtt":["AssetsBucket","Arn"]},
			 "Condition":{"StringLike":{"s3:prefix":["static/*","media/*"]}}},
			{"Sid":"ConsumeInvalidationQueue","Effect":"Allow","Action":["sqs:ReceiveMessage","sqs:DeleteMessage","sqs:GetQueueAttributes"],
			 "Resource":{"Fn::GetAtt":["InvalidationQueue","Arn"]}}]}}]`)
	})
	// ListBucket without an s3:prefix condition: S3 answers HeadObject on a
	// missing key 404 only to a caller with ListBucket on the bucket, and
	// HeadObject carries no prefix (django-storages' exists() re-raises 403).
	// CI writes static files, the app media: a compromised app cannot plant
	// script in the static files every page loads.
	t.Run("collectstatic (CI): list the bucket; read, write, delete static files only", func(t *testing.T) {
		checkJSON(t, at(t, res, "CollectstaticPolicy.Properties.PolicyDocument.Statement"), `[
			{"Sid":"ListAssets","Effect":"Allow","Action":"s3:ListBucket","Resource":{"Fn::GetAtt":["AssetsBucket","Arn"]}},
			{"Sid":"WriteStatic","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],
			 "Resource":{"Fn::Sub":"${AssetsBucket.Arn}/static/*"}}]`)
	})
	t.Run("media uploads (the app): write media, only read static", func(t *testing.T) {
		checkJSON(t, at(t, res, "MediaUploadPolicy.Properties.PolicyDocument.Statement"), `[
			{"Sid":"ListAssets","Effect":"Allow","Action":"s3:ListBucket","Resource":{"Fn::GetAtt":["AssetsBucket","Arn"]}},
			{"Sid":"WriteMedia","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],
			 "Resource":{"Fn::Sub":"${AssetsBucket.Arn}/media/*"}},
			{"Sid":"ReadStatic","Effect":"Allow","Action":"s3:GetObject","Resource":{"Fn::Sub":"${AssetsBucket.Arn}/static/*"}}]`)
	})
}

// TestNoCycles checks the two dependency traps the template sidesteps: the
// hostforward function needs the distribution's domain while the
// distribution needs the API in front of the function, and the bucket's
// notification needs the queue policy that names the bucket.
func TestNoCycles(t *testing.T) {
	tpl := translate(t, noDomain)
	deps := dependencies(tpl)
	res := tpl["Resources"]

	t.Run("acyclic", func(t *testing.T) {
		for name := range deps {
			if reaches(deps, name, name) {
				t.Errorf("%s depends on itself", name)
			}
		}
	})
	t.Run("ALLOWED_HOSTS is the distribution's own domain", func(t *testing.T) {
		checkJSON(t, at(t, res, "HostForwardFunction.Properties.Environment.Variables.ALLOWED_HOSTS"),
			`{"Fn::If":["HasCustomDomain",{"Ref":"DomainName"},{"Fn::GetAtt":["Distribution","DomainName"]}]}`)
		if !reaches(deps, "Distribution", "HttpApi") {
			t.Error("the distribution does not use the HTTP API")
		}
	})
	t.Run("API names the function it cannot depend on", func(t *testing.T) {
		name := at(t, res, "HostForwardFunction.Properties.FunctionName")
		uri := at(t, res, "HttpApi.Properties.Body.paths.$default.x-amazon-apigateway-any-method.x-amazon-apigateway-integration.uri.Fn::Sub")
		got, _ := json.Marshal(uri.([]any)[1].(map[string]any)["Name"])
		want, _ := json.Marshal(name)
		if string(got) != string(want) {
			t.Errorf("integration names function %s, want %s", got, want)
		}
	})
	t.Run("bucket waits for the queue policy that names it", func(t *testing.T) {
		if !slices.Contains(deps["AssetsBucket"], "AssetsQueuePolicy") {
			t.Errorf("AssetsBucket depends on %v, want AssetsQueuePolicy among them", deps["AssetsBucket"])
		}
		arn := at(t, res, "AssetsQueuePolicy.Properties.PolicyDocument.Statement[Sid=AssetsBucketNotifies].Condition.ArnEquals.aws:SourceArn.Fn::Sub")
		got, _ := json.Marshal(arn.([]any)[1].(map[string]any)["Bucket"])
		want, _ := json.Marshal(at(t, res, "AssetsBucket.Properties.BucketName"))
		if string(got) != string(want) {
			t.Errorf("queue policy names bucket %s, want %s", got, want)
		}
	})
}

// TestOriginVerifySecret checks that the secrets exist only in Secrets
// Manager, in each app mode: generated there (or, for the database URL,
// stored there from a NoEcho parameter), the origin secret read by the
// distribution through one dynamic reference at creation, and no literal
// value written anywhere in the template (TestNoSecretInAnyEnvironment
// covers the functions).
func TestOriginVerifySecret(t *testing.T) {
	for _, tt := range []struct {
		name    string
		params  map[string]string
		secrets []string
	}{
		{"external", noDomain, []string{"OriginVerifySecret", "UpstreamVerifySecret"}},
		{"in-function", inFunction, []string{"OriginVerifySecret", "UpstreamVerifySecret", "DjangoSecretKey"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			raw := translateJSON(t, tt.params)
			tpl := translate(t, tt.params)
			for _, name := range tt.secrets {
				if has(tpl, "Resources."+name+".Properties.SecretString") {
					t.Errorf("%s has a literal SecretString", name)
				}
			}
			refs := regexp.MustCompile(`\{\{resolve:.*?\}\}`).FindAllString(string(raw), -1)
			want := "{{resolve:secretsmanager:${OriginVerifySecret}:SecretString}}"
			if len(refs) != 1 || refs[0] != want {
				t.Errorf("got dynamic references %q, want one, %q (the origin header)", refs, want)
			}
			if strings.Contains(string(raw), "local-only-not-a-secret") {
				t.Error("the template contains the local stand-in secret of sam/env.json")
			}
		})
	}
}

// TestCustomDomain deploys the template with and without a custom domain
// and asserts what depends on it: the host the function and Django accept,
// the aliases and certificate, and the DNS records.
func TestCustomDomain(t *testing.T) {
	const ownDomain = `{"Fn::GetAtt":["Distribution","DomainName"]}`
	tests := []struct {
		name    string
		params  map[string]string
		host    string // JSON of the site's host
		aliases string // JSON, or "" for none
		cert    string
		records bool
	}{
		{
			name:   "none",
			params: noDomain,
			host:   ownDomain,
			cert:   `{"CloudFrontDefaultCertificate":true}`,
		},
		{
			name:    "with a Route 53 zone",
			params:  customDomain,
			host:    `"www.example.com"`,
			aliases: `["www.example.com"]`,
			cert: `{"AcmCertificateArn":"` + customDomain["CertificateArn"] +
				`","SslSupportMethod":"sni-only","MinimumProtocolVersion":"TLSv1.2_2021"}`,
			records: true,
		},
		{
			name:    "with DNS elsewhere",
			params:  customDomainOwnDNS,
			host:    `"www.example.com"`,
			aliases: `["www.example.com"]`,
			cert: `{"AcmCertificateArn":"` + customDomain["CertificateArn"] +
				`","SslSupportMethod":"sni-only","MinimumProtocolVersion":"TLSv1.2_2021"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl := deploy(t, translate(t, tt.params), tt.params)
			res, out := tpl["Resources"], tpl["Outputs"]
			config := at(t, res, "Distribution.Properties.DistributionConfig")

			checkJSON(t, at(t, res, "HostForwardFunction.Properties.Environment.Variables.ALLOWED_HOSTS"), tt.host)
			for _, o := range []string{"DjfrontHosts", "DjfrontCdnDomain"} {
				checkJSON(t, at(t, out, o+".Value"), tt.host)
			}
			checkJSON(t, at(t, out, "SiteUrl.Value"), `{"Fn::Sub":["https://${Host}",{"Host":`+tt.host+`}]}`)
			checkJSON(t, at(t, config, "ViewerCertificate"), tt.cert)
			if tt.aliases == "" {
				if has(config, "Aliases") {
					t.Errorf("got aliases %v, want none", at(t, config, "Aliases"))
				}
			} else {
				checkJSON(t, at(t, config, "Aliases"), tt.aliases)
			}
			for _, rtype := range []string{"A", "AAAA"} {
				name := "SiteRecord" + rtype
				if !tt.records {
					if has(res, name) {
						t.Errorf("%s exists without a hosted zone", name)
					}
					continue
				}
				checkJSON(t, at(t, res, name+".Properties"), `{"HostedZoneId":"`+tt.params["HostedZoneId"]+
					`","Name":"www.example.com","Type":"`+rtype+`","AliasTarget":{"DNSName":`+ownDomain+
					`,"HostedZoneId":"Z2FDTNDATAQYW2","EvaluateTargetHealth":false}}`)
			}
		})
	}
}

// TestOutputs checks that the stack tells the user everything the Django
// settings (python/djfront) and the deploy steps need.
func TestOutputs(t *testing.T) {
	out := deploy(t, translate(t, noDomain), noDomain)["Outputs"]
	tests := []struct{ name, want string }{
		{"DistributionId", `{"Ref":"Distribution"}`},
		{"DistributionDomainName", `{"Fn::GetAtt":["Distribution","DomainName"]}`},
		{"AssetsBucketName", `{"Ref":"AssetsBucket"}`},
		{"CollectstaticPolicyArn", `{"Ref":"CollectstaticPolicy"}`},
		{"MediaUploadPolicyArn", `{"Ref":"MediaUploadPolicy"}`},
		{"InvalidationDeadLetterQueueArn", `{"Fn::GetAtt":["InvalidationDeadLetterQueue","Arn"]}`},
		{"DjfrontBucket", `{"Ref":"AssetsBucket"}`},
		{"DjfrontStaticPrefix", `"static"`},
		{"DjfrontMediaPrefix", `"media"`},
		{"AwsRegion", `{"Ref":"AWS::Region"}`},
		{"UpstreamVerifySecretArn", `{"Ref":"UpstreamVerifySecret"}`},
		{"OriginVerifySecretArn", `{"Ref":"OriginVerifySecret"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkJSON(t, at(t, out, tt.name+".Value"), tt.want)
		})
	}
}

// TestRules checks that CloudFormation refuses inconsistent parameters
// before creating anything.
func TestRules(t *testing.T) {
	const (
		needsCert   = "A custom DomainName needs a CertificateArn (ACM, us-east-1)."
		needsDomain = "CertificateArn and HostedZoneId are only used with a custom DomainName."
		distinct    = "StaticPrefix and MediaPrefix must differ."
		needsURL    = "AppMode external needs the app's UpstreamUrl (https://...)."
		noURL       = "AppMode in-function runs the app inside the Lambda; leave UpstreamUrl empty."
	)
	tpl := translate(t, noDomain)
	tests := []struct {
		name   string
		params map[string]string
		want   []string
	}{
		{"no domain", noDomain, nil},
		{"custom domain", customDomain, nil},
		{"custom domain, own DNS", customDomainOwnDNS, nil},
		{"domain without certificate", withURL(map[string]string{"DomainName": "www.example.com"}), []string{needsCert}},
		{"certificate without domain", withURL(map[string]string{"CertificateArn": customDomain["CertificateArn"]}), []string{needsDomain}},
		{"zone without domain", withURL(map[string]string{"HostedZoneId": "Z0123456789ABCDEFGHIJ"}), []string{needsDomain}},
		{"same prefixes", withURL(map[string]string{"StaticPrefix": "files", "MediaPrefix": "files"}), []string{distinct}},
		{"external app without UpstreamUrl", map[string]string{}, []string{needsURL}},
		{"in-function", inFunction, nil},
		{"in-function, custom domain", inFunctionCustomDomain, nil},
		{"in-function with UpstreamUrl", withURL(map[string]string{"AppMode": "in-function"}), []string{noURL}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := newEvaluator(t, tpl, tt.params).violatedRules()
			if !slices.Equal(got, tt.want) {
				t.Errorf("got violated rules %q, want %q", got, tt.want)
			}
		})
	}
}

// withURL returns params with noDomain's UpstreamUrl added.
func withURL(params map[string]string) map[string]string {
	out := maps.Clone(params)
	out["UpstreamUrl"] = noDomain["UpstreamUrl"]
	return out
}

// TestParameters checks every parameter's constraint: each String has an
// AllowedPattern or AllowedValues its default satisfies, and the patterns
// accept and refuse what they should.
func TestParameters(t *testing.T) {
	params := translate(t, noDomain)["Parameters"].(map[string]any)
	pattern := func(t *testing.T, name string) *regexp.Regexp {
		t.Helper()
		p, ok := at(t, params, name).(map[string]any)["AllowedPattern"].(string)
		if !ok {
			t.Fatalf("%s has no AllowedPattern", name)
		}
		return regexp.MustCompile(p)
	}

	for name, p := range params {
		p := p.(map[string]any)
		if p["Type"] != "String" {
			continue
		}
		t.Run(name+" is constrained", func(t *testing.T) {
			_, values := p["AllowedValues"]
			if _, ok := p["AllowedPattern"]; !ok && !values {
				t.Fatal("no AllowedPattern or AllowedValues")
			}
			if d, ok := p["Default"].(string); ok && !values && !pattern(t, name).MatchString(d) {
				t.Errorf("default %q does not match its own AllowedPattern", d)
			}
		})
	}

	tests := []struct {
		param, value string
		ok           bool
	}{
		{"UpstreamUrl", "https://app.example.com", true},
		{"UpstreamUrl", "https://203.0.113.7:8443", true},
		{"UpstreamUrl", "http://app.example.com", false},
		{"UpstreamUrl", "http://127.0.0.1:8000", false},
		{"UpstreamUrl", "https://app.example.com/base/", true},
		{"UpstreamUrl", "ftp://app.example.com", false},
		{"UpstreamUrl", "https://app.example.com/?debug=1", false},
		{"UpstreamUrl", "app.example.com", false},
		{"UpstreamUrl", "", true}, // in-function mode; the rules require it for external
		{"DomainName", "", true},
		{"DomainName", "www.example.com", true},
		{"DomainName", "example.co.uk", true},
		{"DomainName", "WWW.example.com", false},
		{"DomainName", "https://www.example.com", false},
		{"DomainName", "*.example.com", false},
		{"CertificateArn", customDomain["CertificateArn"], true},
		{"CertificateArn", "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789", false},
		{"HostedZoneId", "Z0123456789ABCDEFGHIJ", true},
		{"HostedZoneId", "/hostedzone/Z0123456789", false},
		{"StaticPrefix", "static", true},
		{"StaticPrefix", "static/", false},
		{"StaticPrefix", "/static", false},
		{"MediaPrefix", "user-media", true},
		{"AlarmTopicArn", "arn:aws:sns:eu-west-1:123456789012:alarms", true},
		{"AlarmTopicArn", "alarms", false},
		{"DatabaseUrl", "postgres://app:p%40ss@db.example.com:5432/app?sslmode=require", true},
		{"DatabaseUrl", "sqlite:////tmp/db.sqlite3", false}, // Database sqlite, said explicitly
		{"DatabaseUrl", "mysql://app@db/app", true},
		{"DatabaseUrl", "", true}, // the rules require it with Database url
		{"DatabaseUrl", "postgres://", false},
		{"DatabaseUrl", "dsql://admin@x.dsql.us-east-1.on.aws/postgres", false}, // Database dsql
		{"DatabaseUrl", "oracle://db/app", false},
		{"DatabaseUrl", "postgres://db/app name", false},
		{"WebAclArn", "", true},
		{"WebAclArn", "arn:aws:wafv2:us-east-1:123456789012:global/webacl/site/0a1b2c3d-4e5f-6789-abcd-ef0123456789", true},
		{"WebAclArn", "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/site/0a1b2c3d-4e5f-6789-abcd-ef0123456789", false},
	}
	for _, tt := range tests {
		t.Run(tt.param+"="+tt.value, func(t *testing.T) {
			if got := pattern(t, tt.param).MatchString(tt.value); got != tt.ok {
				t.Errorf("accepted: got %v, want %v", got, tt.ok)
			}
		})
	}
}

// TestDeletionPolicies checks what deleting the stack, or replacing a
// resource, does to each stateful resource: the bucket (media uploads) is
// kept, everything that only serves the stack goes with it.
func TestDeletionPolicies(t *testing.T) {
	res := translate(t, noDomain)["Resources"]
	tests := []struct{ resource, want string }{
		{"AssetsBucket", "Retain"},
		{"OriginVerifySecret", "Delete"},
		{"UpstreamVerifySecret", "Delete"},
		{"RotateLogGroup", "Delete"},
		{"HostForwardLogGroup", "Delete"},
		{"InvalidateLogGroup", "Delete"},
		{"HttpApiAccessLogGroup", "Delete"},
		{"InvalidationQueue", "Delete"},
		{"InvalidationDeadLetterQueue", "Delete"},
	}
	for _, tt := range tests {
		t.Run(tt.resource, func(t *testing.T) {
			for _, policy := range []string{"DeletionPolicy", "UpdateReplacePolicy"} {
				if got := at(t, res, tt.resource+"."+policy); got != tt.want {
					t.Errorf("%s: got %v, want %s", policy, got, tt.want)
				}
			}
		})
	}
}

// TestStackNameLengths renders every property built from the stack name
// with a 128-character name, the longest CloudFormation accepts, and checks
// it against the property's limit: a long stack name must not make a
// deploy fail.
func TestStackNameLengths(t *testing.T) {
	// Limits in characters, from the services' API references.
	limits := map[string]int{
		"OriginVerifySecret.Properties.Description":                                              2048, // Secrets Manager CreateSecret
		"UpstreamVerifySecret.Properties.Description":                                            2048, // Secrets Manager CreateSecret
		"HttpApi.Properties.Body.info.title":                                                     128,  // API Gateway API name
		"Distribution.Properties.DistributionConfig.Comment":                                     128,  // CloudFront DistributionConfig
		"CollectstaticPolicy.Properties.Description":                                             1000, // IAM CreatePolicy
		"MediaUploadPolicy.Properties.Description":                                               1000, // IAM CreatePolicy
		"InvalidationDeadLetterAlarm.Properties.AlarmDescription":                                1024, // CloudWatch PutMetricAlarm
		"HostForwardErrorsAlarm.Properties.AlarmDescription":                                     1024,
		"HostForwardThrottlesAlarm.Properties.AlarmDescription":                                  1024,
		"InvalidateErrorsAlarm.Properties.AlarmDescription":                                      1024,
		"RotateErrorsAlarm.Properties.AlarmDescription":                                          1024,
		"HttpApi5xxAlarm.Properties.AlarmDescription":                                            1024,
		"HostForwardUnsupportedEventsAlarm.Properties.AlarmDescription":                          1024,
		"HostForwardUnsupportedEventsAlarm.Properties.Namespace":                                 255,  // CloudWatch PutMetricAlarm
		"HostForwardUnsupportedEventsFilter.Properties.MetricTransformations[0].MetricNamespace": 255,  // CloudWatch Logs PutMetricFilter
		"DjangoSecretKey.Properties.Description":                                                 2048, // Secrets Manager CreateSecret
		"DatabaseUrlSecret.Properties.Description":                                               2048, // Secrets Manager CreateSecret
		"ManagePolicy.Properties.Description":                                                    1000, // IAM CreatePolicy
		"DsqlCluster.Properties.Tags[0].Value":                                                   256,  // Aurora DSQL tag value
	}
	stackName := strings.Repeat("s", 128)
	found := map[string]string{} // path → rendered value, in either app mode
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch fn, arg := intrinsic(v); fn {
		case "Ref":
			if arg == "AWS::StackName" {
				found[path] = stackName
			}
			return
		case "Fn::Sub":
			if s, ok := arg.(string); ok && strings.Contains(s, "${AWS::StackName}") {
				found[path] = strings.ReplaceAll(s, "${AWS::StackName}", stackName)
				if strings.Contains(found[path], "${") {
					t.Errorf("%s: cannot measure %q", path, s)
				}
				return
			}
		}
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				walk(strings.TrimPrefix(path+"."+k, "."), x)
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), x)
			}
		}
	}
	for _, params := range []map[string]string{noDomain, dsqlDatabase, auroraDatabase, urlDatabase} {
		walk("", deploy(t, translate(t, params), params)["Resources"])
	}

	for _, path := range slices.Sorted(maps.Keys(found)) {
		t.Run(path, func(t *testing.T) {
			limit, ok := limits[path]
			if !ok {
				t.Fatalf("built from the stack name, with no known limit: add the property's limit to the table, "+
					"or leave the stack name out (got %d characters)", len(found[path]))
			}
			if len(found[path]) > limit {
				t.Errorf("got %d characters with a 128-character stack name, want at most %d", len(found[path]), limit)
			}
		})
	}
	for path := range limits {
		if _, ok := found[path]; !ok {
			t.Errorf("%s is in the table but not built from the stack name: remove it", path)
		}
	}
}
