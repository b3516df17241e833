package template_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/local/testenv"
)

// serviceRole is the CloudFormation service role the deployer may pass, and
// nothing else (deploy/README.md creates it under this name).
const serviceRole = "arn:aws:iam::*:role/djfront-cloudformation"

// registryModule is the Go module whose embedded copy of the CloudFormation
// registry schemas scripts/service-role-policy.py reads by default; the
// tests pass its directory explicitly.
const registryModule = "github.com/aws-cloudformation/rain@v1.24.4"

// allOptions turns on every optional part of the template, so the service
// role is derived from every resource and property the template can use.
var allOptions = map[string]string{
	"UpstreamUrl":                    "https://app.example.com",
	"DomainName":                     "www.example.com",
	"CertificateArn":                 "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
	"HostedZoneId":                   "Z0123456789ABCDEFGHIJ",
	"AlarmTopicArn":                  "arn:aws:sns:us-east-1:123456789012:alarms",
	"HostForwardReservedConcurrency": "10",
	"WebAclArn":                      "arn:aws:wafv2:us-east-1:123456789012:global/webacl/site/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
	"VpcSubnetIds":                   "subnet-0123456789abcdef0,subnet-0fedcba9876543210",
	"VpcSecurityGroupIds":            "sg-0123456789abcdef0",
}

// registrySchemas returns the directory of registry schemas, or reports it
// missing.
func registrySchemas(t *testing.T) string {
	t.Helper()
	// The tests that need them run Python on the module cache: not for -short.
	testenv.Integration(t)
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOMODCACHE: %v", err)
	}
	path, version, _ := strings.Cut(registryModule, "@")
	dir := filepath.Join(strings.TrimSpace(string(out)), path+"@"+version, "internal", "aws", "cfn", "schemas")
	if _, err := os.Stat(filepath.Join(dir, "aws", "lambda", "function.json")); err != nil {
		testenv.Missing(t, "the CloudFormation registry schemas ("+registryModule+")",
			"go mod download "+registryModule+" ("+testenv.InstallHint+")")
	}
	return dir
}

// servicePolicyScript runs scripts/service-role-policy.py on the given
// translated templates, returning its output or its error text.
func servicePolicyScript(t *testing.T, schemas string, flags []string, templates ...[]byte) ([]byte, error) {
	t.Helper()
	args := append([]string{filepath.Join("scripts", "service-role-policy.py"), "--schemas", schemas}, flags...)
	for i, tpl := range templates {
		file := filepath.Join(t.TempDir(), fmt.Sprintf("template%d.json", i))
		if err := os.WriteFile(file, tpl, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, file)
	}
	return runPython(t, args...)
}

// decodePolicy decodes the script's output.
func decodePolicy(t *testing.T, out []byte) policyDocument {
	t.Helper()
	var p policyDocument
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("the script printed no policy: %v\n%s", err, out)
	}
	return p
}

// handlerPermissions returns what the registry lists for the create, read,
// update and delete handlers of rtype (nil for a type without handlers).
func handlerPermissions(t *testing.T, schemas, rtype string) []string {
	t.Helper()
	parts := strings.Split(strings.ToLower(rtype), "::")
	raw, err := os.ReadFile(filepath.Join(schemas, parts[0], parts[1], parts[2]+".json"))
	if err != nil {
		t.Fatalf("%s: %v", rtype, err)
	}
	var schema struct {
		Handlers map[string]struct{ Permissions []string }
	}
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatalf("%s: %v", rtype, err)
	}
	var out []string
	for _, h := range []string{"create", "read", "update", "delete"} {
		out = append(out, schema.Handlers[h].Permissions...)
	}
	return out
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
// what the CloudFormation registry says the handlers of every resource type
// in the translated template call (less the permissions
// scripts/service-role-policy.py leaves out, each for a property the
// template does not set), exactly as the script generates it.
func TestServiceRolePolicy(t *testing.T) {
	policy := readPolicy(t, "cloudformation-service-role-policy.json")
	schemas := registrySchemas(t)
	// Both app modes: AppMode in-function adds the layer, AppFunction and its secrets.
	templates := [][]byte{translateJSON(t, noDomain), translateJSON(t, customDomain), translateJSON(t, allOptions),
		translateJSON(t, inFunction), translateJSON(t, inFunctionCustomDomain)}

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

	t.Run("as generated from the registry", func(t *testing.T) {
		out, err := servicePolicyScript(t, schemas, nil, templates...)
		if err != nil {
			t.Fatal(err)
		}
		generated := decodePolicy(t, out)
		for _, s := range generated.Statement {
			for _, a := range s.actions() {
				if !policy.allows(a) {
					t.Errorf("the service role may not %s (statement %s of the generated policy)", a, s.Sid)
				}
			}
		}
		committed, _ := json.Marshal(policy)
		want, _ := json.Marshal(generated)
		if string(committed) != string(want) {
			t.Errorf("deploy/cloudformation-service-role-policy.json differs from what scripts/service-role-policy.py generates; "+
				"regenerate it (deploy/README.md). Generated:\n%s", out)
		}
	})

	out, err := servicePolicyScript(t, schemas, []string{"--exclusions"}, templates...)
	if err != nil {
		t.Fatal(err)
	}
	var exclusions []struct{ Type, Action, Reason string }
	if err := json.Unmarshal(out, &exclusions); err != nil {
		t.Fatal(err)
	}
	excluded := map[string]string{}
	for _, e := range exclusions {
		if e.Reason == "" {
			t.Errorf("%s %s is left out without a reason", e.Type, e.Action)
		}
		excluded[e.Type+" "+strings.ToLower(e.Action)] = e.Reason
	}
	types := map[string]bool{}
	for _, params := range []map[string]string{allOptions, inFunction} {
		for _, r := range translate(t, params)["Resources"].(map[string]any) {
			types[r.(map[string]any)["Type"].(string)] = true
		}
	}
	for _, typ := range slices.Sorted(maps.Keys(types)) {
		t.Run(typ, func(t *testing.T) {
			for _, a := range handlerPermissions(t, schemas, typ) {
				if _, ok := excluded[typ+" "+strings.ToLower(a)]; !ok && !policy.allows(a) {
					t.Errorf("the registry's handlers call %s, which the service role may not", a)
				}
			}
		})
	}

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

// TestServiceRolePolicyScript checks the generator on small templates: the
// resource types the template is expected to grow (a secret rotation
// function with its schedule, a function in a VPC with its security group)
// get their permissions, and a permission no statement can scope (KMS, for
// a customer managed key) stops it instead of being granted on everything.
func TestServiceRolePolicyScript(t *testing.T) {
	schemas := registrySchemas(t)
	tests := []struct {
		name      string
		resources string
		want      []string // actions the policy must allow
		err       string   // part of the error, or "" for success
	}{
		{
			name: "rotation function and schedule, function in a VPC",
			resources: `{"Rotation":{"Type":"AWS::SecretsManager::RotationSchedule","Properties":{"SecretId":"x","RotationLambdaARN":"y"}},
				"Fn":{"Type":"AWS::Lambda::Function","Properties":{"VpcConfig":{"SubnetIds":["s"],"SecurityGroupIds":["g"]}}},
				"Sg":{"Type":"AWS::EC2::SecurityGroup","Properties":{"GroupDescription":"x"}}}`,
			want: []string{"secretsmanager:RotateSecret", "lambda:InvokeFunction", "ec2:DescribeSubnets",
				"ec2:DescribeNetworkInterfaces", "ec2:CreateSecurityGroup", "lambda:CreateFunction"},
		},
		{
			name:      "a customer managed key needs the KMS permissions left out",
			resources: `{"Fn":{"Type":"AWS::Lambda::Function","Properties":{"KmsKeyArn":"arn:aws:kms:us-east-1:123456789012:key/x"}}}`,
			err:       "kms:CreateGrant (for AWS::Lambda::Function) fits no statement",
		},
		{
			name:      "a resource type the script cannot place",
			resources: `{"Topic":{"Type":"AWS::SNS::Topic","Properties":{}}}`,
			err:       "fits no statement: add one to STATEMENTS",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := servicePolicyScript(t, schemas, nil, []byte(`{"Resources":`+tt.resources+`}`))
			switch {
			case tt.err == "" && err != nil:
				t.Fatal(err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("got error %v, want one containing %q", err, tt.err)
			case tt.err != "":
				return
			}
			p := decodePolicy(t, out)
			for _, a := range tt.want {
				if !p.allows(a) {
					t.Errorf("the generated policy does not allow %s:\n%s", a, out)
				}
			}
		})
	}
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
