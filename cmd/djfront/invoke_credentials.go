package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// noCredentials is what invoke says when it finds no AWS credentials.
const noCredentials = "djfront invoke: no AWS credentials found (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or --profile, ~/.aws): " +
	"the function's AWS calls will fail. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), " +
	"or AWS_PROFILE; against a local emulator, AWS_ENDPOINT_URL and any pair of keys."

// awsEnv returns the AWS environment the function gets, as the SAM CLI
// builds it for its container: the shell's region and endpoints, and the
// user's credentials resolved from the shell's keys or the profile (profile,
// else AWS_PROFILE, else default) — never from instance metadata, which a
// local run must not ask: AWS_EC2_METADATA_DISABLED is set for the function
// too. Without credentials it says plainly on stderr what to set; the
// function still runs (hostforward needs none).
func awsEnv(ctx context.Context, environ []string, profile, region string, stderr io.Writer) []string {
	out := []string{"AWS_EC2_METADATA_DISABLED=true"}
	shellRegion := false
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "AWS_REGION", name == "AWS_DEFAULT_REGION":
			shellRegion = true
			out = append(out, kv)
		case strings.HasPrefix(name, "AWS_ENDPOINT_URL"):
			out = append(out, kv)
		}
	}
	opts := []func(*config.LoadOptions) error{config.WithEC2IMDSClientEnableState(imds.ClientDisabled)}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "djfront invoke: AWS configuration: %v\n%s\n", err, noCredentials)
		return out
	}
	switch {
	case region != "":
		out = append(out, "AWS_REGION="+region)
	case !shellRegion && cfg.Region != "":
		out = append(out, "AWS_REGION="+cfg.Region) // the profile's
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		fmt.Fprintln(stderr, noCredentials)
		return out
	}
	out = append(out, "AWS_ACCESS_KEY_ID="+creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+creds.SecretAccessKey)
	if creds.SessionToken != "" {
		out = append(out, "AWS_SESSION_TOKEN="+creds.SessionToken)
	}
	return out
}
