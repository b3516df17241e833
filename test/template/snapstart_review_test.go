package template_test

import "testing"

// Review of issue 19: turning SnapStart on for a stack deployed without it
// is an update with one parameter changed. CloudFormation publishes a
// version only when AppFunction's AWS::Lambda::Version resource is new (its
// logical id, SAM's hash, changes); with the same id the live alias stays
// on the version published without SnapStart, which has no snapshot, while
// the integration now invokes that alias. The parameter must change the id.
func TestReviewSnapStartToggleOnPublishesVersion(t *testing.T) {
	off := versionID(t, deploy(t, translate(t, inFunction), inFunction)["Resources"].(map[string]any))
	on := versionID(t, deploy(t, translate(t, inFunctionSnapStart), inFunctionSnapStart)["Resources"].(map[string]any))
	if off == on {
		t.Errorf("AppFunction's version is %s with SnapStart off and on: turning it on publishes no version, so live keeps one without a snapshot", on)
	}
}
