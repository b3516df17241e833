package samproject

import (
	"fmt"
	"regexp"
	"strings"
)

// stackName is what CloudFormation accepts as a stack name.
var stackName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,127}$`)

// StackName returns the stack name for a project whose settings module is
// settings: "djfront-" and its top package, underscores as hyphens
// ("my_site.settings" → "djfront-my-site"). deploy/'s IAM policies scope
// the deployer's rights to stacks named djfront*.
func StackName(settings string) string {
	top, _, _ := strings.Cut(settings, ".")
	name := "djfront-" + strings.Trim(strings.ReplaceAll(top, "_", "-"), "-")
	name = strings.TrimSuffix(name, "-")
	if len(name) > 128 {
		name = strings.TrimRight(name[:128], "-")
	}
	return name
}

// SamConfig returns the project's samconfig.toml: stack name stack, the
// in-function mode, and the deploy settings of djfront's own
// deploy/samconfig.toml (CAPABILITY_IAM, a change set to confirm, SAM's
// managed bucket). stack must be a valid stack name.
func SamConfig(stack, version string) ([]byte, error) {
	if !stackName.MatchString(stack) {
		return nil, fmt.Errorf("stack name %q: want a letter, then letters, digits and hyphens (128 at most)", stack)
	}
	if strings.ContainsAny(version, "\n\r") {
		return nil, fmt.Errorf("version %q: more than one line", version)
	}
	return fmt.Appendf(nil, `# SAM CLI configuration made by djfront init (djfront %s) for this project
# (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-sam-cli-config.html):
#   sam build
#   sam deploy --guided   # asks for the parameters, and can save the answers here
# Guide: https://github.com/djfront/djfront/blob/main/docs/adopt.md
version = 0.1

[default.global.parameters]
# djfront's deployer-policy.json and cloudformation-service-role-policy.json
# (deploy/) scope their rights to stacks named djfront*.
stack_name = %q

[default.build.parameters]
parallel = true

[default.deploy.parameters]
# The stack creates IAM roles and a managed policy (without custom names).
capabilities = "CAPABILITY_IAM"
confirm_changeset = true
fail_on_empty_changeset = false
# SAM creates (once per region) and uses its managed bucket for the code.
resolve_s3 = true
# The app runs inside the Lambda. Add DomainName, CertificateArn and
# HostedZoneId for a custom domain, and the database's parameters
# (deploy/README.md).
parameter_overrides = "AppMode=\"in-function\""
`, version, stack), nil
}
