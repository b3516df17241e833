// Package motoserver starts the moto server
// (https://docs.getmoto.org/en/latest/docs/server_mode.html) that stands in
// for S3, SQS and CloudFront in the demo and the tests, and holds what every
// client of it shares: the static credentials and region, the SDK
// configuration and the environment that point a Lambda function at it.
//
// moto runs in the project's Python environment (package pyenv), through a
// wrapper script that makes moto 5.2's S3 event notifications carry what
// AWS's carry; see moto_server.py.
package motoserver

import (
	"context"
	_ "embed"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/proctree"
	"github.com/djfront/djfront/internal/local/pyenv"
)

// Credentials and region of the moto server: any static pair works.
const (
	Region    = "us-east-1"
	AccessKey = "test"
	SecretKey = "test"
)

// script wraps moto.server so that S3 event notifications carry what AWS's
// carry (a zoned eventTime, versionId, sequencer, DeleteMarkerCreated); see
// the file.
//
//go:embed moto_server.py
var script string

// runStdin is the -c program that runs the script it reads from stdin,
// named as its file in tracebacks: a short command line (ps, /proc) instead
// of the whole script, and no file to write.
const runStdin = `import sys; exec(compile(sys.stdin.read(), "motoserver/moto_server.py", "exec"))`

// Server is a moto server on a loopback port.
type Server struct {
	// Endpoint is the server's URL, http://127.0.0.1:PORT.
	Endpoint string
	// Process is the server's process, named "moto server".
	Process *childproc.Process
}

// Start starts moto on a free loopback port, with env (KEY=VALUE) added to
// the environment it inherits and its output going to opts, and returns once
// it answers, or when ctx ends (the server stopped). Stop its Process when
// done (Process.Stop with childproc.DefaultGrace).
func Start(ctx context.Context, env []string, opts childproc.Options) (*Server, error) {
	return StartPython(ctx, pyenv.Python(), env, opts)
}

// StartPython is Start with moto in the interpreter python (a project's
// environment with djfront[local]) instead of pyenv.Python.
func StartPython(ctx context.Context, python string, env []string, opts childproc.Options) (*Server, error) {
	port, err := proctree.FreePort()
	if err != nil {
		return nil, err
	}
	s := &Server{Endpoint: "http://127.0.0.1:" + strconv.Itoa(port)}
	cmd := exec.Command(python, "-c", runStdin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdin = strings.NewReader(script)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1", "AWS_EC2_METADATA_DISABLED=true")
	cmd.Env = append(cmd.Env, env...)
	if s.Process, err = childproc.Start("moto server", cmd, opts); err != nil {
		return nil, err
	}
	if err := childproc.AwaitHTTP(ctx, s.Process, childproc.Readiness{URL: s.Endpoint + "/moto-api/data.json"}); err != nil {
		s.Process.Stop(childproc.DefaultGrace)
		return nil, childproc.WithOutput(err, s.Process)
	}
	return s, nil
}

// Config returns the SDK configuration that reaches the moto server at
// endpoint: static credentials, Region and BaseEndpoint. S3 clients also need
// path-style addressing; see NewS3.
func Config(endpoint string) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

// NewS3 returns an S3 client for cfg with path-style addressing, which a
// server on 127.0.0.1 needs.
func NewS3(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

// Env returns the environment that points a Lambda function's (or boto3's)
// AWS SDK at the moto server at endpoint: AWS_ENDPOINT_URL, the credentials
// and the region.
func Env(endpoint string) []string {
	return []string{
		"AWS_ENDPOINT_URL=" + endpoint,
		"AWS_ACCESS_KEY_ID=" + AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + SecretKey,
		"AWS_REGION=" + Region,
	}
}
