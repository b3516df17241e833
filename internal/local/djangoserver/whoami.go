package djangoserver

// Whoami is what the example project's /whoami/ view
// (examples/djangoapp/probe/views.py) reports: the request as Django sees
// it. A header field is nil when the request did not carry the header.
type Whoami struct {
	Host       string              `json:"host"` // request.get_host()
	Secure     bool                `json:"secure"`
	Scheme     string              `json:"scheme"`
	Absolute   string              `json:"absolute"` // request.build_absolute_uri()
	Path       string              `json:"path"`
	FullPath   string              `json:"full_path"`
	RawQuery   string              `json:"raw_query"`
	Query      map[string][]string `json:"query"`
	Method     string              `json:"method"`
	RemoteAddr string              `json:"remote_addr"`
	Cookies    map[string]string   `json:"cookies"`
	BodyLen    int                 `json:"body_len"`
	BodySHA256 string              `json:"body_sha256"`

	XForwardedFor   *string `json:"x_forwarded_for"`
	XForwardedHost  *string `json:"x_forwarded_host"`
	XForwardedProto *string `json:"x_forwarded_proto"`
	XForwardedPort  *string `json:"x_forwarded_port"`
	XRealIP         *string `json:"x_real_ip"`
	TrueClientIP    *string `json:"true_client_ip"`
	Forwarded       *string `json:"forwarded"`
	XRequestID      *string `json:"x_request_id"`
	// XOriginVerify is the origin secret; hostforward removes it, so a
	// value here is a leak.
	XOriginVerify *string `json:"x_origin_verify"`
	Cookie        *string `json:"cookie"`
	UserAgent     *string `json:"user_agent"`
}
