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

// TestNoSecretInAnyEnvironment checks every function's environment, with
// and without the VPC option: no dynamic reference, every *_SECRET_ARN a
// Ref to a secret of the template, and every other *SECRET* variable empty
// (a local-run override, see sam/env.json). A value there would show to
// anyone allowed lambda:GetFunctionConfiguration.
func TestNoSecretInAnyEnvironment(t *testing.T) {
	for _, tt := range []struct {
		name   string
		params map[string]string
	}{{"no VPC", noDomain}, {"in a VPC", inVpc}} {
		t.Run(tt.name, func(t *testing.T) {
			res := deploy(t, translate(t, tt.params), tt.params)["Resources"].(map[string]any)
			secrets := map[string]bool{}
			for name, r := range res {
				if r.(map[string]any)["Type"] == "AWS::SecretsManager::Secret" {
					secrets[name] = true
				}
			}
			arns := 0
			for name, r := range res {
				if r.(map[string]any)["Type"] != "AWS::Lambda::Function" {
					continue
				}
				vars, _ := lookup(r, "Properties.Environment.Variables")
				m, _ := vars.(map[string]any)
				for _, k := range slices.Sorted(maps.Keys(m)) {
					v := m[k]
					raw, _ := json.Marshal(v)
					switch {
					case strings.Contains(string(raw), "{{resolve:"):
						t.Errorf("%s %s = %s: a dynamic reference puts the value in the environment", name, k, raw)
					case strings.HasSuffix(k, "_SECRET_ARN"):
						ref, _ := v.(map[string]any)["Ref"].(string)
						if !secrets[ref] {
							t.Errorf("%s %s = %s, want a Ref to a secret of the template", name, k, raw)
						}
						arns++
					case strings.Contains(k, "SECRET") && v != "":
						t.Errorf("%s %s = %s, want empty (local runs only)", name, k, raw)
					}
				}
			}
			if arns != 2 {
				t.Errorf("got %d secret ARNs in function environments, want 2 (hostforward's origin and upstream secrets)", arns)
			}
			if !has(res, "Distribution.Properties.DistributionConfig.Origins[Id=App].OriginCustomHeaders[HeaderName=X-Origin-Verify]") {
				t.Error("the distribution does not send X-Origin-Verify")
			}
		})
	}
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
	checkJSON(t, at(t, res, "RotateFunction.Properties.Environment.Variables"), `{"DISTRIBUTION_ID":{"Ref":"Distribution"}}`)
	// setSecret waits rotation.DefaultSettle (1 minute) before UpdateDistribution.
	if timeout := number(t, at(t, res, "RotateFunction.Properties.Timeout")); timeout < 120 {
		t.Errorf("RotateFunction timeout %vs, want at least 120 s (a minute of settling, then CloudFront)", timeout)
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
			{"subnets without security groups", map[string]string{"VpcSubnetIds": inVpc["VpcSubnetIds"]},
				[]string{"VpcSubnetIds needs VpcSecurityGroupIds."}},
			{"security groups without subnets", map[string]string{"VpcSecurityGroupIds": inVpc["VpcSecurityGroupIds"]},
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
