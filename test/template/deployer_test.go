package template_test

import (
	"encoding/json"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/testenv"
)

// serviceRole is the CloudFormation service role the deployer may pass, and
// nothing else (deploy/README.md creates it under this name).
const serviceRole = "arn:aws:iam::*:role/djfront-cloudformation"

// cloudFormationNeeds lists, for each resource type of the translated
// template, the actions CloudFormation calls to create, read, update, tag
// and delete it (the handlers' permissions in the CloudFormation registry
// schemas), plus what it needs to resolve the resource's properties: the
// SAM artifact for a function's code, passing the function's role, the
// secret for {{resolve:secretsmanager:...}}. The service role policy must
// grant every one of them and nothing that no resource type needs.
var cloudFormationNeeds = map[string][]string{
	"AWS::ApiGatewayV2::Api":   {"apigateway:POST", "apigateway:PUT", "apigateway:GET", "apigateway:PATCH", "apigateway:DELETE"},
	"AWS::ApiGatewayV2::Stage": {"apigateway:POST", "apigateway:GET", "apigateway:PATCH", "apigateway:DELETE"},
	"AWS::CloudFront::CachePolicy": {"cloudfront:CreateCachePolicy", "cloudfront:GetCachePolicy",
		"cloudfront:UpdateCachePolicy", "cloudfront:DeleteCachePolicy"},
	"AWS::CloudFront::Distribution": {"cloudfront:CreateDistribution", "cloudfront:CreateDistributionWithTags",
		"cloudfront:GetDistribution", "cloudfront:GetDistributionConfig", "cloudfront:UpdateDistribution",
		"cloudfront:DeleteDistribution", "cloudfront:TagResource", "cloudfront:UntagResource",
		"cloudfront:ListTagsForResource",
		// The managed policies it names, and the custom domain's certificate.
		"cloudfront:GetOriginRequestPolicy", "cloudfront:GetResponseHeadersPolicy", "acm:DescribeCertificate"},
	"AWS::CloudFront::Function": {"cloudfront:CreateFunction", "cloudfront:DescribeFunction", "cloudfront:GetFunction",
		"cloudfront:UpdateFunction", "cloudfront:PublishFunction", "cloudfront:DeleteFunction"},
	"AWS::CloudFront::OriginAccessControl": {"cloudfront:CreateOriginAccessControl", "cloudfront:GetOriginAccessControl",
		"cloudfront:UpdateOriginAccessControl", "cloudfront:DeleteOriginAccessControl"},
	"AWS::CloudWatch::Alarm": {"cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms",
		"cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource"},
	"AWS::IAM::ManagedPolicy": {"iam:CreatePolicy", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions",
		"iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:DeletePolicy", "iam:ListEntitiesForPolicy",
		"iam:TagPolicy", "iam:UntagPolicy"},
	"AWS::IAM::Role": {"iam:CreateRole", "iam:GetRole", "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole",
		"iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies",
		"iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies", "iam:DeleteRole"},
	"AWS::Lambda::EventSourceMapping": {"lambda:CreateEventSourceMapping", "lambda:GetEventSourceMapping",
		"lambda:ListEventSourceMappings", "lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping",
		"lambda:TagResource", "lambda:UntagResource", "lambda:ListTags"},
	"AWS::Lambda::Function": {"lambda:CreateFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration",
		"lambda:GetFunctionCodeSigningConfig", "lambda:GetRuntimeManagementConfig", "lambda:UpdateFunctionCode",
		"lambda:UpdateFunctionConfiguration", "lambda:DeleteFunction", "lambda:TagResource", "lambda:UntagResource",
		"lambda:ListTags", "iam:PassRole", "s3:GetObject", "s3:GetObjectVersion"},
	"AWS::Lambda::Permission": {"lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy"},
	// Publishing reads the layer's zip; a function that uses the layer
	// needs GetLayerVersion to be created.
	"AWS::Lambda::LayerVersion": {"lambda:PublishLayerVersion", "lambda:GetLayerVersion", "lambda:DeleteLayerVersion",
		"s3:GetObject", "s3:GetObjectVersion"},
	"AWS::Logs::LogGroup": {"logs:CreateLogGroup", "logs:DescribeLogGroups", "logs:PutRetentionPolicy",
		"logs:DeleteRetentionPolicy", "logs:DeleteLogGroup", "logs:TagResource", "logs:UntagResource",
		"logs:ListTagsForResource"},
	"AWS::Route53::RecordSet": {"route53:ChangeResourceRecordSets", "route53:GetChange",
		"route53:ListResourceRecordSets", "route53:GetHostedZone"},
	"AWS::S3::Bucket": {"s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket",
		"s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock",
		"s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls",
		"s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration",
		"s3:PutBucketVersioning", "s3:GetBucketVersioning",
		"s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration",
		"s3:PutBucketNotification", "s3:GetBucketNotification",
		"s3:PutBucketTagging", "s3:GetBucketTagging",
		// The read handler reads every configuration a bucket may have.
		"s3:GetBucketAcl", "s3:GetBucketCORS", "s3:GetBucketLogging", "s3:GetBucketWebsite",
		"s3:GetBucketObjectLockConfiguration", "s3:GetAccelerateConfiguration", "s3:GetAnalyticsConfiguration",
		"s3:GetIntelligentTieringConfiguration", "s3:GetInventoryConfiguration", "s3:GetMetricsConfiguration",
		"s3:GetReplicationConfiguration"},
	"AWS::S3::BucketPolicy": {"s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"},
	"AWS::SQS::Queue": {"sqs:CreateQueue", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes", "sqs:GetQueueUrl",
		"sqs:TagQueue", "sqs:UntagQueue", "sqs:ListQueueTags", "sqs:DeleteQueue"},
	"AWS::SQS::QueuePolicy": {"sqs:SetQueueAttributes", "sqs:GetQueueAttributes"},
	"AWS::SecretsManager::Secret": {"secretsmanager:CreateSecret", "secretsmanager:GetRandomPassword",
		"secretsmanager:DescribeSecret", "secretsmanager:UpdateSecret", "secretsmanager:DeleteSecret",
		"secretsmanager:TagResource", "secretsmanager:UntagResource", "secretsmanager:GetSecretValue"},
}

// samDeployNeeds lists what `sam deploy` and `sam delete` call with the
// deployer's own credentials: the change set of the stack, its events, the
// artifacts it uploads, and passing the service role.
var samDeployNeeds = []string{
	"cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet", "cloudformation:ExecuteChangeSet",
	"cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents", "cloudformation:GetTemplateSummary",
	"cloudformation:DeleteStack", "s3:PutObject", "s3:GetObject", "s3:ListBucket", "iam:PassRole",
}

// samArtifactBucket is the ARN prefix of the bucket `sam deploy` creates
// (stack aws-sam-cli-managed-default) and uploads artifacts to.
const samArtifactBucket = "arn:aws:s3:::aws-sam-cli-managed-default-samclisourcebucket-"

// policyDocument is an IAM policy document as the tests read it.
type policyDocument struct {
	Version   string
	Statement []statement
}

// statement is one statement of a policyDocument.
type statement struct {
	Sid, Effect                              string
	Principal                                any
	Action, Resource, NotAction, NotResource any
	Condition                                map[string]map[string]any
}

// actions returns the statement's actions.
func (s statement) actions() []string { return stringList(s.Action) }

// resources returns the statement's resources.
func (s statement) resources() []string { return stringList(s.Resource) }

// stringList returns a policy element that is a string or a list of strings
// as a list.
func stringList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			s, _ := x.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}

// readPolicy reads the policy document deploy/name: well-formed, Version
// 2012-10-17, each statement with a Sid, Effect Allow, Action and Resource
// (no Not* elements, whose meaning is easy to get backwards).
func readPolicy(t *testing.T, name string) policyDocument {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "deploy", name))
	if err != nil {
		t.Fatal(err)
	}
	var p policyDocument
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("deploy/%s: %v", name, err)
	}
	if p.Version != "2012-10-17" {
		t.Errorf("deploy/%s: got Version %q, want 2012-10-17", name, p.Version)
	}
	for _, s := range p.Statement {
		if s.Sid == "" || s.Effect != "Allow" || len(s.actions()) == 0 || s.NotAction != nil || s.NotResource != nil {
			t.Errorf("deploy/%s: statement %q: want a Sid, Effect Allow and Action (no Not*)", name, s.Sid)
		}
	}
	return p
}

// actionMatches reports whether the IAM action pattern (case-insensitive,
// with * and ? wildcards) matches action.
func actionMatches(pattern, action string) bool {
	ok, err := path.Match(strings.ToLower(pattern), strings.ToLower(action))
	return err == nil && ok
}

// allows reports whether some statement of p grants action.
func (p policyDocument) allows(action string) bool {
	for _, s := range p.Statement {
		for _, a := range s.actions() {
			if actionMatches(a, action) {
				return true
			}
		}
	}
	return false
}

// TestServiceRolePolicy checks deploy/cloudformation-service-role-policy.json
// and its trust policy: the role only CloudFormation may assume, granting
// exactly what CloudFormation needs for every resource type the template
// creates (cloudFormationNeeds).
func TestServiceRolePolicy(t *testing.T) {
	policy := readPolicy(t, "cloudformation-service-role-policy.json")
	types := map[string]bool{}
	for _, r := range translate(t, customDomain)["Resources"].(map[string]any) {
		types[r.(map[string]any)["Type"].(string)] = true
	}

	t.Run("trusts CloudFormation only", func(t *testing.T) {
		trust := readPolicy(t, "cloudformation-service-role-trust.json")
		if len(trust.Statement) != 1 {
			t.Fatalf("got %d statements, want 1", len(trust.Statement))
		}
		s := trust.Statement[0]
		got, _ := json.Marshal([]any{s.Principal, s.Action, s.Resource, s.Condition})
		if want := `[{"Service":"cloudformation.amazonaws.com"},"sts:AssumeRole",null,null]`; string(got) != want {
			t.Errorf("got principal, action, resource, condition %s, want %s", got, want)
		}
	})

	needed := map[string]bool{}
	for _, typ := range slices.Sorted(maps.Keys(types)) {
		t.Run(typ, func(t *testing.T) {
			actions, ok := cloudFormationNeeds[typ]
			if !ok {
				t.Fatalf("no actions known for %s: add what CloudFormation calls for it to cloudFormationNeeds "+
					"and deploy/cloudformation-service-role-policy.json", typ)
			}
			for _, a := range actions {
				needed[strings.ToLower(a)] = true
				if !policy.allows(a) {
					t.Errorf("the service role may not %s", a)
				}
			}
		})
	}

	t.Run("nothing more", func(t *testing.T) {
		for _, s := range policy.Statement {
			for _, pattern := range s.actions() {
				used := false
				for a := range needed {
					used = used || actionMatches(pattern, a)
				}
				if !used {
					t.Errorf("statement %s grants %s, which no resource type of the template needs", s.Sid, pattern)
				}
			}
		}
	})

	t.Run("passes roles to Lambda only", func(t *testing.T) {
		for _, s := range policy.Statement {
			if !slices.ContainsFunc(s.actions(), func(a string) bool { return actionMatches(a, "iam:PassRole") }) {
				continue
			}
			if got := s.Condition["StringEquals"]["iam:PassedToService"]; got != "lambda.amazonaws.com" {
				t.Errorf("statement %s passes roles to %v, want lambda.amazonaws.com only", s.Sid, got)
			}
		}
	})
}

// TestDeployerPolicy checks deploy/deployer-policy.json, the policy of the
// human or CI identity that runs `sam deploy --role-arn`: it can drive the
// stack's change sets and upload artifacts, and may pass only the
// CloudFormation service role to CloudFormation. It creates no resource
// itself, so it holds no action of the services the stack uses: IAM rights
// with PassRole on the functions' roles would amount to administrator.
func TestDeployerPolicy(t *testing.T) {
	policy := readPolicy(t, "deployer-policy.json")

	for _, a := range samDeployNeeds {
		t.Run("may "+a, func(t *testing.T) {
			if !policy.allows(a) {
				t.Errorf("the deployer may not %s", a)
			}
		})
	}

	for _, s := range policy.Statement {
		t.Run(s.Sid, func(t *testing.T) {
			for _, a := range s.actions() {
				service, _, _ := strings.Cut(strings.ToLower(a), ":")
				switch service {
				case "cloudformation":
				case "s3":
					for _, r := range s.resources() {
						if !strings.HasPrefix(r, samArtifactBucket) {
							t.Errorf("%s on %s: the deployer's S3 rights are for the SAM artifact bucket only", a, r)
						}
					}
				case "iam":
					if a != "iam:PassRole" {
						t.Errorf("grants %s: the deployer's only IAM right is passing the service role", a)
					}
					if got := s.resources(); !slices.Equal(got, []string{serviceRole}) {
						t.Errorf("passes roles %q, want only %s", got, serviceRole)
					}
					if got := s.Condition["StringEquals"]["iam:PassedToService"]; got != "cloudformation.amazonaws.com" {
						t.Errorf("passes the role to %v, want cloudformation.amazonaws.com only", got)
					}
				default:
					t.Errorf("grants %s: resources are created by the CloudFormation service role, not the deployer", a)
				}
			}
		})
	}
}
