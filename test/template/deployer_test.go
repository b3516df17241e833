package template_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/testenv"
)

// iamPrefix maps the services of the template's resource types to their
// IAM action prefixes.
var iamPrefix = map[string]string{
	"AWS::ApiGatewayV2":   "apigateway:",
	"AWS::CloudFront":     "cloudfront:",
	"AWS::CloudWatch":     "cloudwatch:",
	"AWS::IAM":            "iam:",
	"AWS::Lambda":         "lambda:",
	"AWS::Logs":           "logs:",
	"AWS::Route53":        "route53:",
	"AWS::S3":             "s3:",
	"AWS::SQS":            "sqs:",
	"AWS::SecretsManager": "secretsmanager:",
}

// TestDeployerPolicy checks deploy/deployer-policy.json, the IAM a deployer
// needs: a well-formed policy that grants actions on every service the
// template creates resources in, so a resource of a new service cannot be
// added without updating it.
func TestDeployerPolicy(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "deploy", "deployer-policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	var policy struct {
		Version   string
		Statement []struct {
			Sid, Effect                              string
			Action, Resource, NotAction, NotResource any
			Condition                                map[string]any
		}
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&policy); err != nil {
		t.Fatalf("deploy/deployer-policy.json: %v", err)
	}
	if policy.Version != "2012-10-17" {
		t.Errorf("got Version %q, want 2012-10-17", policy.Version)
	}
	var actions []string
	for _, s := range policy.Statement {
		if s.Sid == "" || s.Effect != "Allow" || s.Action == nil || s.Resource == nil || s.NotAction != nil || s.NotResource != nil {
			t.Errorf("statement %q: want a Sid, Effect Allow, Action and Resource (no Not*)", s.Sid)
		}
		switch a := s.Action.(type) {
		case string:
			actions = append(actions, a)
		case []any:
			for _, x := range a {
				actions = append(actions, x.(string))
			}
		}
	}

	for name, r := range translate(t, customDomain)["Resources"].(map[string]any) {
		typ := r.(map[string]any)["Type"].(string)
		service := typ[:strings.LastIndex(typ, "::")]
		prefix, ok := iamPrefix[service]
		if !ok {
			t.Errorf("%s: no IAM prefix known for %s; add it to iamPrefix and deploy/deployer-policy.json", name, service)
			continue
		}
		found := false
		for _, a := range actions {
			found = found || strings.HasPrefix(a, prefix)
		}
		if !found {
			t.Errorf("%s (%s): deploy/deployer-policy.json grants no %s* action", name, typ, prefix)
		}
	}
}
