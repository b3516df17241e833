package testenv

import (
	"net/http"
	"os"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/djfront/djfront/internal/motoserver"
)

// Moto is a moto server (https://docs.getmoto.org/en/latest/docs/server_mode.html)
// on a loopback port: S3, SQS, CloudFront and the other AWS services moto
// emulates, behind one endpoint.
type Moto struct {
	// Endpoint is the server's URL, http://127.0.0.1:PORT.
	Endpoint string
	// Config reaches the server: static credentials, motoserver.Region and
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
		Region:       motoserver.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(motoserver.AccessKey, motoserver.SecretKey, ""),
		BaseEndpoint: aws.String(m.Endpoint),
	}

	cmd := motoserver.Command("python3", "127.0.0.1", port)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1")
	startProcess(tb, "moto", cmd).awaitHTTP(tb, m.Endpoint+"/moto-api/data.json", "")
	return m
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
		"AWS_ACCESS_KEY_ID=" + motoserver.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + motoserver.SecretKey,
		"AWS_REGION=" + motoserver.Region,
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
