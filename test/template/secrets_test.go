package template_test

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// inVpc deploys hostforward into a VPC.
var inVpc = map[string]string{
	"UpstreamUrl":         "https://app.internal.example.com",
	"VpcSubnetIds":        "subnet-0123456789abcdef0,subnet-0fedcba9876543210",
	"VpcSecurityGroupIds": "sg-0123456789abcdef0",
}

// urlsWithoutPassword names the variables that hold a URL whose password
// must not be there: deployed, they may name a database, never hold its
// password (locally, sam/env.json may set anything).
var urlsWithoutPassword = []string{"DATABASE_URL"}

// TestNoSecretInAnyEnvironment checks every function's environment, with
// and without the VPC option, in both app modes and with every Database: no
// dynamic reference, every *_SECRET_ARN a secret of the template (or the
// password secret RDS keeps for a cluster of the template), every other
// *SECRET* variable empty (a local-run override, see sam/env.json),
// DATABASE_URL without a password, and the function's role allowed
// GetSecretValue on exactly the secrets its environment names (a rotation
// function: the ones it rotates). A value there would show to anyone
// allowed lambda:GetFunctionConfiguration.
func TestNoSecretInAnyEnvironment(t *testing.T) {
	for _, tt := range []struct {
		name   string
		params map[string]string
		arns   int
	}{
		{"no VPC", noDomain, 2},                               // hostforward's origin and upstream secrets
		{"in a VPC", inVpc, 2},                                //
		{"in-function", inFunction, 5},                        // also Django's copy of the upstream secret and its key, and the default database's (aurora-serverless) password
		{"in-function, dsql", dsqlDatabase, 4},                // dsql has no password
		{"in-function, aurora-serverless", auroraDatabase, 5}, // and the password RDS keeps
		{"in-function, url", urlDatabase, 5},                  // and the URL's secret
		{"in-function, url in your VPC", urlDatabaseInVpc, 5}, //
		{"in-function, sqlite", sqliteDatabase, 4},            //
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := deploy(t, translate(t, tt.params), tt.params)["Resources"].(map[string]any)
			secrets := map[string]bool{}
			rotates := map[string][]string{} // rotation function → the secrets it rotates (from its event)
			for name, r := range res {
				switch r.(map[string]any)["Type"] {
				case "AWS::SecretsManager::Secret":
					secrets[name] = true
				case "AWS::SecretsManager::RotationSchedule":
					fn, _ := lookup(r, "Properties.RotationLambdaARN.Fn::GetAtt")
					secret, _ := lookup(r, "Properties.SecretId.Ref")
					if f := stringList(fn); len(f) == 2 {
						rotates[f[0]] = append(rotates[f[0]], secret.(string))
					}
				}
			}
			arns := 0
			for name, r := range res {
				if r.(map[string]any)["Type"] != "AWS::Lambda::Function" {
					continue
				}
				vars, _ := lookup(r, "Properties.Environment.Variables")
				m, _ := vars.(map[string]any)
				named := map[string]bool{}
				for _, secret := range rotates[name] {
					named[secret] = true
				}
				for _, k := range slices.Sorted(maps.Keys(m)) {
					v := m[k]
					raw, _ := json.Marshal(v)
					switch {
					case strings.Contains(string(raw), "{{resolve:"):
						t.Errorf("%s %s = %s: a dynamic reference puts the value in the environment", name, k, raw)
					case strings.HasSuffix(k, "_SECRET_ARN"):
						secret, ok := templateSecret(res, secrets, v)
						if !ok {
							t.Errorf("%s %s = %s, want a secret of the template", name, k, raw)
						}
						named[secret] = true
						arns++
					case slices.Contains(urlsWithoutPassword, k):
						if password := urlPassword(t, v); password {
							t.Errorf("%s %s = %s: a password in the environment", name, k, raw)
						}
					case strings.Contains(k, "SECRET") && v != "":
						t.Errorf("%s %s = %s, want empty (local runs only)", name, k, raw)
					}
				}
				if got, want := secretsReadable(t, res, r), slices.Sorted(maps.Keys(named)); !slices.Equal(got, want) {
					t.Errorf("%s may GetSecretValue on %q, want exactly the secrets its environment names, %q", name, got, want)
				}
			}
			if arns != tt.arns {
				t.Errorf("got %d secret ARNs in function environments, want %d", arns, tt.arns)
			}
			if !has(res, "Distribution.Properties.DistributionConfig.Origins[Id=App].OriginCustomHeaders[HeaderName=X-Origin-Verify]") {
				t.Error("the distribution does not send X-Origin-Verify")
			}
		})
	}
}

// templateSecret returns the secret an ARN variable's value names, as
// secretsReadable names it: the logical id of a Ref to one of the
// template's secrets, or the JSON of a GetAtt of the password secret RDS
// manages for a DB cluster of the template (ManageMasterUserPassword). ok
// is false for anything else.
func templateSecret(res map[string]any, secrets map[string]bool, v any) (secret string, ok bool) {
	fn, arg := intrinsic(v)
	if fn == "Ref" {
		id, _ := arg.(string)
		return id, secrets[id]
	}
	args, _ := arg.([]any)
	if fn != "Fn::GetAtt" || len(args) != 2 || args[1] != "MasterUserSecret.SecretArn" {
		return "", false
	}
	cluster, _ := args[0].(string)
	manages, _ := lookup(res[cluster], "Properties.ManageMasterUserPassword")
	if r, _ := res[cluster].(map[string]any); r["Type"] != "AWS::RDS::DBCluster" || manages != true {
		return "", false
	}
	raw, _ := json.Marshal(v)
	return string(raw), true
}

// urlPassword reports whether the URL value v (a string or a Fn::Sub
// string) carries a password.
func urlPassword(t *testing.T, v any) bool {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		fn, arg := intrinsic(v)
		if s, ok = arg.(string); fn != "Fn::Sub" || !ok {
			t.Fatalf("a URL of %s: want a string or a Fn::Sub string", mustJSON(t, v))
		}
	}
	if s == "" {
		return false
	}
	_, password := parseSubURL(t, s).User.Password()
	return password
}

// secretsReadable returns the secrets (logical ids, sorted) the role of
// function fn may read with secretsmanager:GetSecretValue.
func secretsReadable(t *testing.T, res map[string]any, fn any) []string {
	t.Helper()
	role, _ := lookup(fn, "Properties.Role")
	fnName, arg := intrinsic(role)
	args, _ := arg.([]any)
	if fnName != "Fn::GetAtt" || len(args) != 2 {
		t.Fatalf("function role %v, want Fn::GetAtt of a role of the template", role)
	}
	policies, _ := lookup(res[args[0].(string)], "Properties.Policies")
	var got []string
	list, _ := policies.([]any)
	for _, p := range list {
		statements, _ := lookup(p, "PolicyDocument.Statement")
		ss, _ := statements.([]any)
		for _, st := range ss {
			action, _ := lookup(st, "Action")
			if !slices.Contains(stringList(action), "secretsmanager:GetSecretValue") {
				continue
			}
			resource, _ := lookup(st, "Resource")
			rs, ok := resource.([]any)
			if !ok {
				rs = []any{resource}
			}
			for _, r := range rs {
				if fn, arg := intrinsic(r); fn == "Ref" {
					got = append(got, arg.(string))
				} else {
					got = append(got, mustJSON(t, r))
				}
			}
		}
	}
	slices.Sort(got)
	return got
}

// TestRotationSchedule checks that Secrets Manager rotates the origin
// secret with RotateFunction on a schedule (and right after creation), that
// it may invoke the function for this secret only, and that the function
// has the time setSecret needs.
func TestRotationSchedule(t *testing.T) {
	tpl := deploy(t, translate(t, noDomain), noDomain)
	res := tpl["Resources"]
	checkJSON(t, at(t, res, "OriginVerifyRotation.Type"), `"AWS::SecretsManager::RotationSchedule"`)
	checkJSON(t, at(t, res, "OriginVerifyRotation.Properties"), `{"SecretId":{"Ref":"OriginVerifySecret"},
		"RotationLambdaARN":{"Fn::GetAtt":["RotateFunction","Arn"]},"RotateImmediatelyOnUpdate":true,
		"RotationRules":{"AutomaticallyAfterDays":"30"}}`)
	checkJSON(t, at(t, res, "OriginVerifyRotation.DependsOn"), `"RotateFunctionPermission"`)
	checkJSON(t, at(t, res, "RotateFunctionPermission.Properties"), `{"Action":"lambda:InvokeFunction",
		"FunctionName":{"Ref":"RotateFunction"},"Principal":"secretsmanager.amazonaws.com","SourceArn":{"Ref":"OriginVerifySecret"}}`)
	checkJSON(t, at(t, res, "RotateFunction.Properties.Environment.Variables"), `{"DISTRIBUTION_ID":{"Ref":"Distribution"},"ORIGIN_ID":"App"}`)
	// setSecret waits rotation.DefaultSettle (1 minute), then for the
	// distribution to deploy an earlier change, before UpdateDistribution.
	if timeout := number(t, at(t, res, "RotateFunction.Properties.Timeout")); timeout < 600 {
		t.Errorf("RotateFunction timeout %vs, want at least 600 s (a minute of settling, a deployment to wait for, then CloudFront)", timeout)
	}
	params := tpl["Parameters"].(map[string]any)
	checkJSON(t, at(t, params, "OriginSecretRotationDays"), `{"Type":"Number","Default":30,"MinValue":1,"MaxValue":365,
		"Description":"Days between automatic rotations of the X-Origin-Verify secret (the RotateFunction sets the new value on the distribution; hostforward accepts the old one until the next rotation)."}`)
}

// TestVpcOption deploys the template with the VPC option off (the
// default) and on: the function's VpcConfig, and the VPC access policy on
// its role only when it is in a VPC.
func TestVpcOption(t *testing.T) {
	const (
		basic = `{"Fn::Sub":"arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}`
		vpc   = `{"Fn::Sub":"arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"}`
	)
	t.Run("off", func(t *testing.T) {
		res := deploy(t, translate(t, noDomain), noDomain)["Resources"]
		if has(res, "HostForwardFunction.Properties.VpcConfig") {
			t.Errorf("VpcConfig without the option: %v", at(t, res, "HostForwardFunction.Properties.VpcConfig"))
		}
		checkJSON(t, at(t, res, "HostForwardFunctionRole.Properties.ManagedPolicyArns"), `[`+basic+`]`)
	})
	t.Run("on", func(t *testing.T) {
		res := deploy(t, translate(t, inVpc), inVpc)["Resources"]
		checkJSON(t, at(t, res, "HostForwardFunction.Properties.VpcConfig"), `{
			"SubnetIds":{"Fn::Split":[",","subnet-0123456789abcdef0,subnet-0fedcba9876543210"]},
			"SecurityGroupIds":{"Fn::Split":[",","sg-0123456789abcdef0"]}}`)
		checkJSON(t, at(t, res, "HostForwardFunctionRole.Properties.ManagedPolicyArns"), `[`+basic+`,`+vpc+`]`)
		for _, fn := range []string{"InvalidateFunction", "RotateFunction"} {
			if has(res, fn+".Properties.VpcConfig") {
				t.Errorf("%s is in the VPC too; only hostforward reaches the app", fn)
			}
		}
	})
	t.Run("rules", func(t *testing.T) {
		tpl := translate(t, noDomain)
		for _, tt := range []struct {
			name   string
			params map[string]string
			want   []string
		}{
			{"both", inVpc, nil},
			{"subnets without security groups", map[string]string{"UpstreamUrl": inVpc["UpstreamUrl"], "VpcSubnetIds": inVpc["VpcSubnetIds"]},
				[]string{"VpcSubnetIds needs VpcSecurityGroupIds."}},
			{"security groups without subnets", map[string]string{"UpstreamUrl": inVpc["UpstreamUrl"], "VpcSecurityGroupIds": inVpc["VpcSecurityGroupIds"]},
				[]string{"VpcSecurityGroupIds are only used with VpcSubnetIds."}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if got := newEvaluator(t, tpl, tt.params).violatedRules(); !slices.Equal(got, tt.want) {
					t.Errorf("got violated rules %q, want %q", got, tt.want)
				}
			})
		}
	})
	t.Run("parameter patterns", func(t *testing.T) {
		params := translate(t, noDomain)["Parameters"].(map[string]any)
		for _, tt := range []struct {
			param, value string
			ok           bool
		}{
			{"VpcSubnetIds", "", true},
			{"VpcSubnetIds", "subnet-0123456789abcdef0", true},
			{"VpcSubnetIds", "subnet-0123456789abcdef0,subnet-0fedcba9876543210", true},
			{"VpcSubnetIds", "subnet-0123456789abcdef0, subnet-0fedcba9876543210", false},
			{"VpcSubnetIds", "sg-0123456789abcdef0", false},
			{"VpcSecurityGroupIds", "sg-0123456789abcdef0", true},
			{"VpcSecurityGroupIds", "default", false},
		} {
			p, _ := at(t, params, tt.param+".AllowedPattern").(string)
			if got := regexp.MustCompile(p).MatchString(tt.value); got != tt.ok {
				t.Errorf("%s=%q accepted: got %v, want %v", tt.param, tt.value, got, tt.ok)
			}
		}
	})
}
