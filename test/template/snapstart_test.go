package template_test

import (
	"slices"
	"strings"
	"testing"
)

// versionID returns the logical id of AppFunction's published version in a
// translated template: SAM appends a hash to it.
func versionID(t *testing.T, res map[string]any) string {
	t.Helper()
	return hashedID(t, res, "AWS::Lambda::Version", "AppFunctionVersion")
}

// TestSnapStart checks the SnapStart parameter: on, AppFunction's published
// versions are snapshotted and the HTTP API's integration and its
// permission name the live alias; off (the default), the site invokes the
// function itself as before. Either way each deployment publishes one
// version, and the one it replaces is deleted (its snapshot's cache is
// charged while it exists).
func TestSnapStart(t *testing.T) {
	const uri = "HttpApi.Properties.Body.paths.$default.x-amazon-apigateway-any-method.x-amazon-apigateway-integration.uri.Fn::Sub"
	for _, tt := range []struct {
		name                          string
		params                        map[string]string
		applyOn, qualifier, invokable string
	}{
		{"off by default", inFunction, `"None"`, `""`, `{"Ref":"AppFunction"}`},
		{"on", inFunctionSnapStart, `"PublishedVersions"`, `":live"`, `{"Ref":"AppFunctionAliaslive"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := deploy(t, translate(t, tt.params), tt.params)["Resources"].(map[string]any)
			checkJSON(t, at(t, res, "AppFunction.Properties.SnapStart"), `{"ApplyOn":`+tt.applyOn+`}`)
			checkJSON(t, at(t, res, uri).([]any)[1].(map[string]any)["Qualifier"], tt.qualifier)
			checkJSON(t, at(t, res, "HostForwardPermission.Properties.FunctionName"), tt.invokable)

			version := versionID(t, res)
			checkJSON(t, at(t, res, "AppFunctionAliaslive.Properties"), `{"Name":"live",
				"FunctionName":{"Ref":"AppFunction"},"FunctionVersion":{"Fn::GetAtt":["`+version+`","Version"]}}`)
			checkJSON(t, at(t, res, version+".DeletionPolicy"), `"Delete"`)
			if !strings.HasPrefix(mustJSON(t, at(t, res, "AppFunction.Properties.Description")), `"Runs the Django app`) {
				t.Errorf("AppFunction description %v", at(t, res, "AppFunction.Properties.Description"))
			}
		})
	}
	t.Run("not for the external mode", func(t *testing.T) {
		const want = "SnapStart is for AppMode in-function (the external mode's function runs on provided.al2023, which SnapStart does not support)."
		params := map[string]string{"UpstreamUrl": noDomain["UpstreamUrl"], "SnapStart": "true"}
		if got := newEvaluator(t, translate(t, noDomain), params).violatedRules(); !slices.Equal(got, []string{want}) {
			t.Errorf("got violated rules %q, want %q", got, []string{want})
		}
	})
}

// publishedVersion returns the logical id and the Description of
// AppFunction's version as CloudFormation deploys the template with params:
// a change of either publishes a new version (a new id is a new resource;
// the Description of an AWS::Lambda::Version cannot be updated, so a change
// of it replaces the version).
func publishedVersion(t *testing.T, params map[string]string) string {
	t.Helper()
	res := deploy(t, translate(t, params), params)["Resources"].(map[string]any)
	id := versionID(t, res)
	props, _ := at(t, res, id+".Properties").(map[string]any)
	return id + " " + mustJSON(t, props["Description"])
}

// Turning SnapStart on for a stack deployed without it is an update with
// one parameter changed. CloudFormation publishes a version only when
// AppFunction's AWS::Lambda::Version is a new resource: its logical id (SAM's
// hash of the template, which ignores parameter values) or its Description
// changed. With neither, the live alias stays on the version published
// without SnapStart, which has no snapshot, while the integration now
// invokes that alias.
func TestSnapStartToggleOnPublishesVersion(t *testing.T) {
	off, on := publishedVersion(t, inFunction), publishedVersion(t, inFunctionSnapStart)
	if off == on {
		t.Errorf("AppFunction's version is %s with SnapStart off and on: turning it on publishes no version, so live keeps one without a snapshot", on)
	}
}
