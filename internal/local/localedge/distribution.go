package localedge

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/djfront/djfront/internal/local/samlocal"
)

// Managed CloudFront policies the edge knows (DeveloperGuide:
// using-managed-cache-policies, using-managed-origin-request-policies,
// using-managed-response-headers-policies).
const (
	cachingOptimizedID          = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	cachingDisabledID           = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	allViewerID                 = "216adef6-5c7f-47e4-b989-5492eafa07d3"
	allViewerExceptHostHeaderID = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
	securityHeadersPolicyID     = "67f7725c-6f97-4210-82d7-5512b31e9d03"
)

// originVerifyHeader is the app origin's secret header; its value comes
// from Secrets Manager, so the edge is given it (Config.OriginVerify).
const originVerifyHeader = "X-Origin-Verify"

// defaultErrorCachingTTL is how long CloudFront caches an error status
// without a CustomErrorResponses entry for it.
const defaultErrorCachingTTL = 10 * time.Second

// Distribution is what the edge plays of a template's CloudFront
// distribution: its cache behaviours (path patterns, allowed and cached
// methods, the viewer-request function), their cache, origin request and
// response headers policies, its origins, and its error caching. Read one
// with ReadDistribution.
type Distribution struct {
	behaviors []*behavior // the CacheBehaviors in order, then the default
	errorTTL  map[int]time.Duration
}

// behavior is one cache behaviour.
type behavior struct {
	pattern       string // without a leading slash; "*" for the default
	origin        *origin
	allowed       []string
	cached        []string
	viewerRequest bool // a viewer-request function is associated
	cache         *cachePolicy
	originRequest *originRequestPolicy // nil: none
	headers       *responseHeadersPolicy
}

// origin is one of the distribution's origins.
type origin struct {
	id string
	s3 bool
	// listBucket: the bucket policy lets CloudFront list the bucket, so a
	// missing key is S3's 404 rather than its 403.
	listBucket bool
	// customHeaders are the origin custom headers; a value that is not a
	// literal (a secret) is "" here, and the edge is given it.
	customHeaders []policyHeader
}

// selection is which headers, cookies or query strings a policy takes.
type selection struct {
	behavior string // none, whitelist, allExcept, all, allViewer, allViewerAndWhitelistCloudFront
	names    []string
}

// parts are the headers, cookies and query strings a policy takes.
type parts struct {
	headers, cookies, queries selection
}

// cachePolicy is a CloudFront cache policy: TTLs and the cache key, whose
// parts also reach the origin.
type cachePolicy struct {
	parts
	name                       string
	minTTL, defaultTTL, maxTTL time.Duration
	gzip, brotli               bool
}

// originRequestPolicy is what reaches the origin besides the cache key.
type originRequestPolicy struct {
	parts
	name string
}

// responseHeadersPolicy adds and removes response headers.
type responseHeadersPolicy struct {
	name   string
	add    []policyHeader
	remove []string
}

// policyHeader is a header a response headers policy adds.
type policyHeader struct {
	name, value string
	override    bool
}

// ReadDistribution reads the one AWS::CloudFront::Distribution of the SAM
// template at path (params override the parameters' defaults), with the
// policies and bucket policy it refers to. It fails, naming the property,
// on anything the edge would otherwise play wrong: a managed policy it does
// not know, a value it cannot resolve locally, a CloudFront-* header it
// cannot produce.
func ReadDistribution(path string, params map[string]string) (*Distribution, error) {
	tpl, err := samlocal.ReadTemplate(path, params)
	if err != nil {
		return nil, err
	}
	var ids []string
	for id, r := range tpl.Resources {
		if r.Type == "AWS::CloudFront::Distribution" {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		return nil, fmt.Errorf("template %s: want one AWS::CloudFront::Distribution, found %d", tpl.Path, len(ids))
	}
	p := &parser{tpl: tpl}
	d, err := p.distribution(tpl.Resources[ids[0]].Properties)
	if err != nil {
		return nil, fmt.Errorf("template %s: %s: %w", tpl.Path, ids[0], err)
	}
	return d, nil
}

// parser reads the distribution out of a template.
type parser struct {
	tpl *samlocal.Template
}

func (p *parser) distribution(props map[string]any) (*Distribution, error) {
	cfg := samlocal.Map(props["DistributionConfig"])
	origins := map[string]*origin{}
	for i, o := range samlocal.List(cfg["Origins"]) {
		om := samlocal.Map(o)
		id, ok := p.tpl.String(om["Id"])
		if !ok {
			return nil, fmt.Errorf("Origins[%d].Id: not a literal", i)
		}
		or := &origin{id: id, s3: om["S3OriginConfig"] != nil}
		for _, h := range samlocal.List(om["OriginCustomHeaders"]) {
			name, ok := p.tpl.String(samlocal.Map(h)["HeaderName"])
			if !ok {
				return nil, fmt.Errorf("origin %s: a custom header name is not a literal", id)
			}
			name = http.CanonicalHeaderKey(name)
			value, ok := p.tpl.String(samlocal.Map(h)["HeaderValue"])
			if !ok && name != originVerifyHeader {
				return nil, fmt.Errorf("origin %s: custom header %s: cannot resolve its value locally", id, name)
			}
			or.customHeaders = append(or.customHeaders, policyHeader{name: name, value: value, override: true})
		}
		if or.s3 {
			or.listBucket = p.cloudFrontMayList(om["DomainName"])
		}
		origins[id] = or
	}
	d := &Distribution{errorTTL: map[int]time.Duration{}}
	for i, e := range samlocal.List(cfg["CustomErrorResponses"]) {
		em := samlocal.Map(e)
		code, err := p.integer(em["ErrorCode"])
		if err != nil {
			return nil, fmt.Errorf("CustomErrorResponses[%d].ErrorCode: %w", i, err)
		}
		if v, ok := em["ErrorCachingMinTTL"]; ok {
			ttl, err := p.integer(v)
			if err != nil {
				return nil, fmt.Errorf("CustomErrorResponses[%d].ErrorCachingMinTTL: %w", i, err)
			}
			d.errorTTL[code] = time.Duration(ttl) * time.Second
		}
		if em["ResponsePagePath"] != nil {
			return nil, fmt.Errorf("CustomErrorResponses[%d]: custom error pages are not modelled", i)
		}
	}
	for i, b := range samlocal.List(cfg["CacheBehaviors"]) {
		bh, err := p.behavior(samlocal.Map(b), origins)
		if err != nil {
			return nil, fmt.Errorf("CacheBehaviors[%d]: %w", i, err)
		}
		d.behaviors = append(d.behaviors, bh)
	}
	def := samlocal.Map(cfg["DefaultCacheBehavior"])
	if def == nil {
		return nil, errors.New("no DefaultCacheBehavior")
	}
	def["PathPattern"] = "*"
	bh, err := p.behavior(def, origins)
	if err != nil {
		return nil, fmt.Errorf("DefaultCacheBehavior: %w", err)
	}
	d.behaviors = append(d.behaviors, bh)
	return d, nil
}

func (p *parser) behavior(m map[string]any, origins map[string]*origin) (*behavior, error) {
	pattern, ok := p.tpl.String(m["PathPattern"])
	if !ok {
		return nil, fmt.Errorf("PathPattern %v: cannot resolve it", m["PathPattern"])
	}
	b := &behavior{pattern: strings.TrimPrefix(pattern, "/")}
	target, _ := p.tpl.String(m["TargetOriginId"])
	if b.origin = origins[target]; b.origin == nil {
		return nil, fmt.Errorf("%s: TargetOriginId %q names no origin", pattern, target)
	}
	var err error
	if b.allowed, err = p.strings(m["AllowedMethods"], []string{"GET", "HEAD"}); err != nil {
		return nil, fmt.Errorf("%s: AllowedMethods: %w", pattern, err)
	}
	if b.cached, err = p.strings(m["CachedMethods"], []string{"GET", "HEAD"}); err != nil {
		return nil, fmt.Errorf("%s: CachedMethods: %w", pattern, err)
	}
	for _, f := range samlocal.List(m["FunctionAssociations"]) {
		if ev, _ := p.tpl.String(samlocal.Map(f)["EventType"]); ev == "viewer-request" {
			b.viewerRequest = true
		} else {
			return nil, fmt.Errorf("%s: a %s function is not modelled", pattern, ev)
		}
	}
	if m["CachePolicyId"] == nil {
		return nil, fmt.Errorf("%s: no CachePolicyId (legacy cache settings are not modelled)", pattern)
	}
	if b.cache, err = p.cachePolicy(m["CachePolicyId"]); err != nil {
		return nil, fmt.Errorf("%s: CachePolicyId: %w", pattern, err)
	}
	if v := m["OriginRequestPolicyId"]; v != nil {
		if b.originRequest, err = p.originRequestPolicy(v); err != nil {
			return nil, fmt.Errorf("%s: OriginRequestPolicyId: %w", pattern, err)
		}
	}
	if v := m["ResponseHeadersPolicyId"]; v != nil {
		if b.headers, err = p.responseHeadersPolicy(v); err != nil {
			return nil, fmt.Errorf("%s: ResponseHeadersPolicyId: %w", pattern, err)
		}
	}
	return b, nil
}

// resource returns the properties' config of the resource a policy id
// refers to ({"Ref": X}), which must be of type typ.
func (p *parser) resource(v any, typ, config string) (string, map[string]any, error) {
	ref, _ := samlocal.Map(v)["Ref"].(string)
	r, ok := p.tpl.Resources[ref]
	if !ok || r.Type != typ {
		return "", nil, fmt.Errorf("%v is neither a managed policy id the edge knows nor a Ref to an %s", v, typ)
	}
	return ref, samlocal.Map(r.Properties[config]), nil
}

func (p *parser) cachePolicy(v any) (*cachePolicy, error) {
	if id, ok := v.(string); ok {
		switch id {
		case cachingOptimizedID:
			return &cachePolicy{name: "CachingOptimized", minTTL: time.Second, defaultTTL: 24 * time.Hour,
				maxTTL: 365 * 24 * time.Hour, gzip: true, brotli: true}, nil
		case cachingDisabledID:
			return &cachePolicy{name: "CachingDisabled"}, nil
		}
	}
	name, cfg, err := p.resource(v, "AWS::CloudFront::CachePolicy", "CachePolicyConfig")
	if err != nil {
		return nil, err
	}
	c := &cachePolicy{name: name}
	for _, ttl := range []struct {
		field string
		to    *time.Duration
	}{{"MinTTL", &c.minTTL}, {"DefaultTTL", &c.defaultTTL}, {"MaxTTL", &c.maxTTL}} {
		n, err := p.integer(cfg[ttl.field])
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", name, ttl.field, err)
		}
		*ttl.to = time.Duration(n) * time.Second
	}
	key := samlocal.Map(cfg["ParametersInCacheKeyAndForwardedToOrigin"])
	c.gzip, _ = p.boolean(key["EnableAcceptEncodingGzip"])
	c.brotli, _ = p.boolean(key["EnableAcceptEncodingBrotli"])
	if c.parts, err = p.parts(key); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if c.maxTTL == 0 && (c.headers.behavior != "none" || c.cookies.behavior != "none" || c.queries.behavior != "none") {
		// CloudFront refuses such a policy at creation.
		return nil, fmt.Errorf("%s: a policy whose TTLs are all 0 cannot put headers, cookies or query strings in the key", name)
	}
	if err := checkCloudFrontHeaders(c.headers.names); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

func (p *parser) originRequestPolicy(v any) (*originRequestPolicy, error) {
	if id, ok := v.(string); ok {
		all := selection{behavior: "all"}
		switch id {
		case allViewerID:
			return &originRequestPolicy{name: "AllViewer", parts: parts{headers: selection{behavior: "allViewer"}, cookies: all, queries: all}}, nil
		case allViewerExceptHostHeaderID:
			return &originRequestPolicy{name: "AllViewerExceptHostHeader",
				parts: parts{headers: selection{behavior: "allExcept", names: []string{"Host"}}, cookies: all, queries: all}}, nil
		}
	}
	name, cfg, err := p.resource(v, "AWS::CloudFront::OriginRequestPolicy", "OriginRequestPolicyConfig")
	if err != nil {
		return nil, err
	}
	o := &originRequestPolicy{name: name}
	if o.parts, err = p.parts(cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if slices.ContainsFunc(o.headers.names, func(h string) bool { return strings.EqualFold(h, "Authorization") }) &&
		o.headers.behavior != "allExcept" {
		// CloudFront refuses it (400 on create): only a cache policy can.
		return nil, fmt.Errorf("%s: an origin request policy cannot forward Authorization", name)
	}
	if err := checkCloudFrontHeaders(o.headers.names); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return o, nil
}

func (p *parser) responseHeadersPolicy(v any) (*responseHeadersPolicy, error) {
	if id, ok := v.(string); ok && id == securityHeadersPolicyID {
		return &responseHeadersPolicy{name: "SecurityHeadersPolicy", add: []policyHeader{
			{name: "Referrer-Policy", value: "strict-origin-when-cross-origin"},
			{name: "Strict-Transport-Security", value: "max-age=31536000"},
			{name: "X-Content-Type-Options", value: "nosniff"},
			{name: "X-Frame-Options", value: "SAMEORIGIN"},
			{name: "X-Xss-Protection", value: "1; mode=block"},
		}}, nil
	}
	name, cfg, err := p.resource(v, "AWS::CloudFront::ResponseHeadersPolicy", "ResponseHeadersPolicyConfig")
	if err != nil {
		return nil, err
	}
	rh := &responseHeadersPolicy{name: name}
	if cfg["CorsConfig"] != nil || cfg["ServerTimingHeadersConfig"] != nil {
		return nil, fmt.Errorf("%s: CORS and Server-Timing headers are not modelled", name)
	}
	sec := samlocal.Map(cfg["SecurityHeadersConfig"])
	for _, h := range []struct {
		field, header string
		value         func(map[string]any) (string, error)
	}{
		{"ContentSecurityPolicy", "Content-Security-Policy", func(m map[string]any) (string, error) { return p.text(m["ContentSecurityPolicy"]) }},
		{"ContentTypeOptions", "X-Content-Type-Options", func(map[string]any) (string, error) { return "nosniff", nil }},
		{"FrameOptions", "X-Frame-Options", func(m map[string]any) (string, error) { return p.text(m["FrameOption"]) }},
		{"ReferrerPolicy", "Referrer-Policy", func(m map[string]any) (string, error) { return p.text(m["ReferrerPolicy"]) }},
		{"StrictTransportSecurity", "Strict-Transport-Security", p.hsts},
		{"XSSProtection", "X-Xss-Protection", p.xssProtection},
	} {
		m := samlocal.Map(sec[h.field])
		if m == nil {
			continue
		}
		value, err := h.value(m)
		if err != nil {
			return nil, fmt.Errorf("%s: SecurityHeadersConfig.%s: %w", name, h.field, err)
		}
		override, _ := p.boolean(m["Override"])
		rh.add = append(rh.add, policyHeader{name: h.header, value: value, override: override})
	}
	for _, item := range samlocal.List(samlocal.Map(cfg["CustomHeadersConfig"])["Items"]) {
		im := samlocal.Map(item)
		header, err1 := p.text(im["Header"])
		value, err2 := p.text(im["Value"])
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("%s: CustomHeadersConfig: %w", name, err)
		}
		override, _ := p.boolean(im["Override"])
		rh.add = append(rh.add, policyHeader{name: http.CanonicalHeaderKey(header), value: value, override: override})
	}
	for _, item := range samlocal.List(samlocal.Map(cfg["RemoveHeadersConfig"])["Items"]) {
		header, err := p.text(samlocal.Map(item)["Header"])
		if err != nil {
			return nil, fmt.Errorf("%s: RemoveHeadersConfig: %w", name, err)
		}
		rh.remove = append(rh.remove, http.CanonicalHeaderKey(header))
	}
	return rh, nil
}

func (p *parser) hsts(m map[string]any) (string, error) {
	age, err := p.integer(m["AccessControlMaxAgeSec"])
	if err != nil {
		return "", err
	}
	v := "max-age=" + strconv.Itoa(age)
	if sub, _ := p.boolean(m["IncludeSubdomains"]); sub {
		v += "; includeSubDomains"
	}
	if pre, _ := p.boolean(m["Preload"]); pre {
		v += "; preload"
	}
	return v, nil
}

func (p *parser) xssProtection(m map[string]any) (string, error) {
	on, err := p.boolean(m["Protection"])
	if err != nil {
		return "", err
	}
	if !on {
		return "0", nil
	}
	v := "1"
	if block, _ := p.boolean(m["ModeBlock"]); block {
		v += "; mode=block"
	}
	if uri, ok := p.tpl.String(m["ReportUri"]); ok && uri != "" {
		v += "; report=" + uri
	}
	return v, nil
}

// parts reads a policy's HeadersConfig, CookiesConfig and
// QueryStringsConfig.
func (p *parser) parts(cfg map[string]any) (parts, error) {
	var out parts
	for _, f := range []struct {
		config, behavior, list string
		to                     *selection
	}{
		{"HeadersConfig", "HeaderBehavior", "Headers", &out.headers},
		{"CookiesConfig", "CookieBehavior", "Cookies", &out.cookies},
		{"QueryStringsConfig", "QueryStringBehavior", "QueryStrings", &out.queries},
	} {
		s, err := p.selection(cfg[f.config], f.behavior, f.list)
		if err != nil {
			return parts{}, err
		}
		*f.to = s
	}
	return out, nil
}

// selection reads a HeadersConfig, CookiesConfig or QueryStringsConfig.
func (p *parser) selection(v any, behaviorField, listField string) (selection, error) {
	m := samlocal.Map(v)
	if m == nil {
		return selection{behavior: "none"}, nil
	}
	b, err := p.text(m[behaviorField])
	if err != nil {
		return selection{}, fmt.Errorf("%s: %w", behaviorField, err)
	}
	s := selection{behavior: b}
	switch b {
	case "none", "all", "allViewer":
	case "whitelist", "allExcept", "allViewerAndWhitelistCloudFront":
		if s.names, err = p.strings(m[listField], nil); err != nil {
			return selection{}, fmt.Errorf("%s: %w", listField, err)
		}
	default:
		return selection{}, fmt.Errorf("%s %q is not modelled", behaviorField, b)
	}
	return s, nil
}

// cloudFrontMayList reports whether a bucket policy of the template lets
// cloudfront.amazonaws.com list the bucket an S3 origin's DomainName
// (!GetAtt Bucket.RegionalDomainName) names.
func (p *parser) cloudFrontMayList(domain any) bool {
	var bucket string
	switch att := samlocal.Map(domain)["Fn::GetAtt"].(type) {
	case []string: // !GetAtt Bucket.Attribute
		bucket = att[0]
	case []any:
		if len(att) > 0 {
			bucket, _ = att[0].(string)
		}
	}
	for _, r := range p.tpl.Resources {
		if r.Type != "AWS::S3::BucketPolicy" || samlocal.Map(r.Properties["Bucket"])["Ref"] != bucket {
			continue
		}
		for _, st := range samlocal.List(samlocal.Map(r.Properties["PolicyDocument"])["Statement"]) {
			sm := samlocal.Map(st)
			if sm["Effect"] != "Allow" || samlocal.Map(sm["Principal"])["Service"] != "cloudfront.amazonaws.com" {
				continue
			}
			actions, _ := p.strings(sm["Action"], nil)
			if slices.ContainsFunc(actions, func(a string) bool {
				a = strings.ToLower(a)
				return a == "s3:listbucket" || a == "s3:*" || a == "s3:list*"
			}) {
				return true
			}
		}
	}
	return false
}

// cloudFrontHeaders are the CloudFront-* headers the edge can produce.
var cloudFrontHeaders = map[string]bool{"Cloudfront-Forwarded-Proto": true, "Cloudfront-Viewer-Address": true}

func checkCloudFrontHeaders(names []string) error {
	for _, n := range names {
		c := http.CanonicalHeaderKey(n)
		if strings.HasPrefix(c, "Cloudfront-") && !cloudFrontHeaders[c] {
			return fmt.Errorf("header %s is not modelled (only %s)", n, strings.Join(slices.Sorted(maps.Keys(cloudFrontHeaders)), ", "))
		}
	}
	return nil
}

func (p *parser) text(v any) (string, error) {
	s, ok := p.tpl.String(v)
	if !ok {
		return "", fmt.Errorf("%v: cannot resolve it locally", v)
	}
	return s, nil
}

func (p *parser) integer(v any) (int, error) {
	s, err := p.text(v)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a whole number of seconds", s)
	}
	return n, nil
}

func (p *parser) boolean(v any) (bool, error) {
	s, err := p.text(v)
	if err != nil {
		return false, err
	}
	return strconv.ParseBool(s)
}

// strings reads a list of literals; def when v is absent.
func (p *parser) strings(v any, def []string) ([]string, error) {
	if v == nil {
		return def, nil
	}
	if s, ok := p.tpl.String(v); ok {
		return []string{s}, nil
	}
	var out []string
	for _, x := range samlocal.List(v) {
		s, err := p.text(x)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if out == nil {
		return nil, fmt.Errorf("%v: not a list", v)
	}
	return out, nil
}

// behavior returns the cache behaviour for a request path, as CloudFront
// chooses it: the first CacheBehaviors pattern that matches, else the
// default.
func (d *Distribution) behavior(path string) *behavior {
	path = strings.TrimPrefix(path, "/")
	for _, b := range d.behaviors {
		if globMatch(b.pattern, path) {
			return b
		}
	}
	return d.behaviors[len(d.behaviors)-1]
}

// globMatch matches CloudFront path patterns: case-sensitive, * for any
// run of characters (slashes too), ? for exactly one.
func globMatch(pattern, s string) bool {
	// Iterative wildcard matching with one backtrack point.
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
