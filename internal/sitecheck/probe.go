package sitecheck

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// ProbePath is where the Django package's probe view answers when its URLs
// are included at "djfront/" (python/djfront/urls.py).
const ProbePath = "/djfront/probe/"

// ProbeTokenHeader carries the probe token. Not Authorization: CloudFront
// strips that from GET requests unless the cache policy includes it.
const ProbeTokenHeader = "X-Djfront-Probe-Token"

// Probe is what the Django probe view reports Django saw of the request.
type Probe struct {
	// Host is request.get_host(); empty with HostError set when Django
	// refused the host (DisallowedHost), RawHost being what it was given.
	Host      string `json:"host"`
	HostError string `json:"host_error"`
	RawHost   string `json:"raw_host"`
	// Scheme is request.scheme, IsSecure request.is_secure().
	Scheme   string `json:"scheme"`
	IsSecure bool   `json:"is_secure"`
	// RemoteAddr and XForwardedFor are the client address as Django sees it.
	RemoteAddr    string `json:"remote_addr"`
	XForwardedFor string `json:"x_forwarded_for"`
	// Origin is the Origin header Django got; CSRFOriginOK whether Django's
	// CSRF middleware would accept it on a POST, CSRFReason why not.
	Origin       string `json:"origin"`
	CSRFOriginOK bool   `json:"csrf_origin_ok"`
	CSRFReason   string `json:"csrf_reason"`
	// Version marks the answer as the probe's ("djfront_probe": 1).
	Version int `json:"djfront_probe"`
}

// ParseProbe reads the probe view's answer.
func ParseProbe(e *Exchange) (*Probe, error) {
	switch {
	case e == nil:
		return nil, fmt.Errorf("probe: no request sent")
	case e.Err != nil:
		return nil, fmt.Errorf("probe %s: %w", e.URL.Path, e.Err)
	case e.Status == http.StatusNotFound:
		return nil, fmt.Errorf("probe %s: 404: the probe is off (DJFRONT_PROBE_TOKEN unset) or its URLs are not included at djfront/", e.URL.Path)
	case e.Status == http.StatusForbidden:
		return nil, fmt.Errorf("probe %s: 403: the token was refused (or the request never reached Django)", e.URL.Path)
	case e.Status != http.StatusOK:
		return nil, fmt.Errorf("probe %s: status %d", e.URL.Path, e.Status)
	}
	var p Probe
	if err := json.Unmarshal(e.Body, &p); err != nil {
		return nil, fmt.Errorf("probe %s: the answer is not the probe's JSON: %w", e.URL.Path, err)
	}
	if p.Version != 1 {
		return nil, fmt.Errorf("probe %s: the answer is not the probe's (no \"djfront_probe\": 1)", e.URL.Path)
	}
	return &p, nil
}
