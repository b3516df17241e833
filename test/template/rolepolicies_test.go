package template_test

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"
)

// managedPolicyARN renders a role's ManagedPolicyArns entry as
// CloudFormation would for a stack named djfront: an ARN literal as it is,
// an AWS managed policy's Fn::Sub in the aws partition, a Ref to the
// stack's own managed policy as the ARN CloudFormation gives a
// policy it names itself (stack name, logical id, random suffix).
func managedPolicyARN(t *testing.T, v any) string {
	t.Helper()
	if s, ok := v.(string); ok {
		return s
	}
	switch fn, arg := intrinsic(v); fn {
	case "Ref":
		return fmt.Sprintf("arn:aws:iam::123456789012:policy/djfront-%s-1A2B3C4D5E6F", arg)
	case "Fn::Sub": // an AWS managed policy in the stack's partition
		if s, ok := arg.(string); ok {
			return strings.ReplaceAll(s, "${AWS::Partition}", "aws")
		}
	}
	t.Fatalf("cannot render managed policy %v", v)
	return ""
}

// arnConditionAllows reports whether an ArnEquals or ArnLike condition on
// iam:PolicyARN admits arn (ArnLike with * and ? wildcards).
func arnConditionAllows(cond map[string]map[string]any, arn string) bool {
	for op, values := range cond {
		for _, want := range stringList(values["iam:PolicyARN"]) {
			switch op {
			case "ArnEquals":
				if want == arn {
					return true
				}
			case "ArnLike":
				if ok, err := path.Match(want, arn); err == nil && ok {
					return true
				}
			}
		}
	}
	return false
}

// TestServiceRoleAttachesRolePolicies checks, in both app modes (and with
// the VPC option and the databases that put AppFunction in a VPC), that the
// CloudFormation service role may attach every managed policy the stack's
// roles carry (iam:AttachRolePolicy is granted only under an iam:PolicyARN
// condition, so a policy the conditions miss fails the deploy), and that
// each statement granting it has such a condition.
func TestServiceRoleAttachesRolePolicies(t *testing.T) {
	policy := readPolicy(t, "cloudformation-service-role-policy.json")
	var attach []statement
	for _, s := range policy.Statement {
		if slices.ContainsFunc(s.actions(), func(a string) bool { return actionMatches(a, "iam:AttachRolePolicy") }) {
			if s.Condition == nil {
				t.Errorf("statement %s lets the service role attach any policy", s.Sid)
			}
			attach = append(attach, s)
		}
	}
	for _, mode := range []struct {
		name   string
		params map[string]string
	}{
		{"external", noDomain},
		{"external in a VPC", inVpc},
		{"in-function", inFunction},
		{"in-function, aurora-serverless", auroraDatabase},
		{"in-function, url in your VPC", urlDatabaseInVpc},
	} {
		res := deploy(t, translate(t, mode.params), mode.params)["Resources"].(map[string]any)
		for name, r := range res {
			if r.(map[string]any)["Type"] != "AWS::IAM::Role" {
				continue
			}
			arns, _ := lookup(r, "Properties.ManagedPolicyArns")
			list, _ := arns.([]any)
			for _, v := range list {
				arn := managedPolicyARN(t, v)
				t.Run(mode.name+"/"+name+"/"+path.Base(arn), func(t *testing.T) {
					if !slices.ContainsFunc(attach, func(s statement) bool { return arnConditionAllows(s.Condition, arn) }) {
						t.Errorf("the service role may not attach %s to %s", arn, name)
					}
				})
			}
		}
	}
}
