package testenv

import (
	_ "embed"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Credentials and region of the moto server: any static pair works.
const (
	MotoRegion    = "us-east-1"
	MotoAccessKey = "test"
	MotoSecretKey = "test"
)

// motoServer wraps moto.server so that S3 event notifications carry what
// AWS's carry (versionId, sequencer, DeleteMarkerCreated); see the file.
//
//go:embed moto_server.py
var motoServer string

// Moto is a moto server (https://docs.getmoto.org/en/latest/docs/server_mode.html)
// on a loopback port: S3, SQS, CloudFront and the other AWS services moto
// emulates, behind one endpoint.
type Moto struct {
	// Endpoint is the server's URL, http://127.0.0.1:PORT.
	Endpoint string
	// Config reaches the server: static credentials, MotoRegion and
	// BaseEndpoint set to Endpoint. S3 clients also need UsePathStyle; see
	// S3.
	Config aws.Config
}

// StartMoto starts `python3 -m moto.server` with the default python3 (the
// one with moto, not Debian's) on a free loopback port — through
// moto_server.py, which fills in the S3 notification fields moto leaves
// out — and returns once it answers. The server and its process group are
// killed when tb ends; its output is logged if tb failed.
func StartMoto(tb testing.TB) *Moto {
	tb.Helper()
	RequirePythonModule(tb, "python3", "moto.server", "pip install 'moto[server]==5.2.1' for the default python3 ("+InstallHint+")")

	port := strconv.Itoa(FreePort(tb))
	m := &Moto{Endpoint: "http://127.0.0.1:" + port}
	m.Config = aws.Config{
		Region:       MotoRegion,
		Credentials:  credentials.NewStaticCredentialsProvider(MotoAccessKey, MotoSecretKey, ""),
		BaseEndpoint: aws.String(m.Endpoint),
	}

	out := new(djangoOutput) // the tail of a process's output, shared with StartDjango
	cmd := exec.Command("python3", "-c", motoServer, "-H", "127.0.0.1", "-p", port)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1")
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start moto: %v", err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	tb.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		if tb.Failed() {
			tb.Logf("moto output (tail):\n%s", out)
		}
	})

	const limit = 60 * time.Second // a bound for slow machines, not a speed check
	deadline := time.Now().Add(limit)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := client.Get(m.Endpoint + "/moto-api/data.json")
		if err == nil {
			resp.Body.Close()
			return m
		}
		select {
		case <-exited:
			tb.Fatalf("moto exited before answering (%v):\n%s", waitErr, out)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("moto did not answer %s within %v: %v\n%s", m.Endpoint, limit, err, out)
		}
	}
}

// Reset empties every emulated service (POST /moto-api/reset).
func (m *Moto) Reset(tb testing.TB) {
	tb.Helper()
	resp, err := http.Post(m.Endpoint+"/moto-api/reset", "", nil)
	if err != nil {
		tb.Fatalf("reset moto: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("reset moto: got status %s, want 200", resp.Status)
	}
}

// Env returns the environment that points a Lambda function's AWS SDK at
// the server: AWS_ENDPOINT_URL, the credentials and the region.
func (m *Moto) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + m.Endpoint,
		"AWS_ACCESS_KEY_ID=" + MotoAccessKey,
		"AWS_SECRET_ACCESS_KEY=" + MotoSecretKey,
		"AWS_REGION=" + MotoRegion,
	}
}

// S3 returns an S3 client for the server, with path-style addressing.
func (m *Moto) S3() *s3.Client {
	return s3.NewFromConfig(m.Config, func(o *s3.Options) { o.UsePathStyle = true })
}

// SQS returns an SQS client for the server.
func (m *Moto) SQS() *sqs.Client { return sqs.NewFromConfig(m.Config) }

// CloudFront returns a CloudFront client for the server.
func (m *Moto) CloudFront() *cloudfront.Client { return cloudfront.NewFromConfig(m.Config) }
