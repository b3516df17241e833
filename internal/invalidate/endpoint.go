package invalidate

import (
	"net"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// usePathStyleForLocalEndpoint turns on path-style addressing
// (http://host/bucket/key) when the S3 endpoint, as the SDK resolved it from
// AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, is "localhost" or an IP address:
// an emulator such as moto, which cannot serve bucket names as subdomains.
// Those hosts cannot carry virtual-hosted-style bucket names anyway, so no
// variable of its own is needed; real S3 endpoints keep the default.
//
// It is an S3 client option; the SDK applies it after resolving
// o.BaseEndpoint.
func usePathStyleForLocalEndpoint(o *s3.Options) {
	if o.BaseEndpoint == nil {
		return
	}
	u, err := url.Parse(*o.BaseEndpoint)
	if err != nil {
		return
	}
	host := u.Hostname()
	if host == "localhost" || net.ParseIP(host) != nil {
		o.UsePathStyle = true
	}
}
