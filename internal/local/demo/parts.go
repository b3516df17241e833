package demo

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/localedge"
	"github.com/djfront/djfront/internal/local/motoserver"
	"github.com/djfront/djfront/internal/local/motostack"
	"github.com/djfront/djfront/internal/local/pgserver"
	"github.com/djfront/djfront/internal/local/runtimeapi"
)

// The demo's departures from the template's timings, so the tour does not
// wait for a 30 s batching window or a 6 minute visibility timeout after a
// failed batch.
const (
	batchingWindow    = 2 * time.Second
	visibilityTimeout = 10 * time.Second
)

// staticPrefix is where Django's static files live in the bucket and on the
// site (DJFRONT_STATIC_PREFIX's default, the template's StaticPrefix).
const staticPrefix = "static"

// startAWS starts the moto server and creates the template's resources in
// it, with the secrets the stack's functions name.
func (s *Stack) startAWS(ctx context.Context) error {
	ready, cancel := readyContext(ctx)
	defer cancel()
	moto, err := motoserver.StartPython(ready, s.cfg.MotoPython, []string{RunMarker + "=" + s.RunID}, childproc.Options{Output: s.prefixed("moto server"), KillWithParent: true})
	if err != nil {
		return err
	}
	s.watch(moto.Process)
	s.MotoEndpoint = moto.Endpoint
	cfg := motoserver.Config(moto.Endpoint)
	s.aws, err = motostack.Create(ctx, s.tpl, cfg, motostack.Options{Name: stackName, VisibilityTimeout: visibilityTimeout})
	if err != nil {
		return fmt.Errorf("moto server at %s: %w", moto.Endpoint, err)
	}
	if s.secrets, err = motostack.CreateSecrets(ctx, s.tpl, cfg, stackName, s.secretIDs()); err != nil {
		return fmt.Errorf("moto server at %s: %w", moto.Endpoint, err)
	}
	s.DistributionID = s.aws.DistributionID
	fmt.Fprintf(s.cfg.Progress, "      bucket %s (versioned) → queue (DLQ after %d receives, batches after %v; template: %v) → distribution %s; %d secrets\n",
		s.aws.Bucket, s.aws.MaxReceiveCount, batchingWindow, s.aws.BatchingWindow, s.DistributionID, len(s.secrets))
	return nil
}

// startPostgres starts the throwaway PostgreSQL server the app's
// DATABASE_URL names, unless a database is named already (namesDatabase).
func (s *Stack) startPostgres(ctx context.Context) error {
	if s.namesDatabase() {
		return nil
	}
	ready, cancel := readyContext(ctx)
	defer cancel()
	pg, err := pgserver.Start(ready, childproc.Options{Output: s.prefixed("postgres"), KillWithParent: true})
	if err != nil {
		return err
	}
	s.pg = pg
	s.watch(pg.Process())
	return nil
}

// startInvalidate starts the invalidate function against moto and the
// poller that delivers the queue's messages to it.
func (s *Stack) startInvalidate(ctx context.Context) error {
	fn, err := s.startFunction(ctx, invalidateID, nil, "DISTRIBUTION_ID="+s.DistributionID)
	if err != nil {
		return err
	}
	s.bg.Go(func() { s.poll(s.bgCtx, fn) })
	return nil
}

// startEdge serves the local edge in front of the app's function on ln with a
// self-signed certificate, then makes the Client that trusts it.
func (s *Stack) startEdge(ln net.Listener) error {
	cert, err := localedge.SelfSignedCert(s.cfg.Host, "127.0.0.1", "::1")
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(s.cfg.Logs, nil))
	// The edge plays the template's distribution: its behaviours, policies
	// and error caching.
	dist, err := localedge.ReadDistribution(s.tpl.Path, s.tpl.Parameters)
	if err != nil {
		return err
	}
	edge := localedge.New(localedge.Config{
		Distribution: dist,
		App:          s.app,
		Assets:       localedge.NewAssets(s.aws.S3, s.aws.Bucket, logger),
		OriginVerify: s.origin,
		Observe:      s.observe,
		Logger:       logger,
	})
	s.mu.Lock()
	s.edge = edge
	s.mu.Unlock()
	s.server = &http.Server{
		Handler:           edge,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go s.server.ServeTLS(ln, "", "") //nolint:errcheck // ends with ErrServerClosed at Close
	s.Client = viewerClient(cert, ln.Addr().String())
	return nil
}

// viewerClient returns a client that trusts cert, keeps cookies, follows no
// redirect and reaches addr whatever host a URL names.
func viewerClient(cert tls.Certificate, addr string) *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:     jar,
		Timeout: localedge.IntegrationTimeout + 5*time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool},
			// The viewer host resolves to the edge, whatever the resolver says.
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// poll delivers the queue's messages to the invalidate function as the
// event source mapping does, gathering them for batchingWindow first.
func (s *Stack) poll(ctx context.Context, fn *runtimeapi.Server) {
	poller := s.aws.Poller(fn, 0)
	for {
		waiting, err := s.queued(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			fmt.Fprintf(s.cfg.Logs, "poller: %v\n", err)
			if !sleep(ctx, time.Second) {
				return
			}
			continue
		case !waiting:
			if !sleep(ctx, 300*time.Millisecond) {
				return
			}
			continue
		}
		if !sleep(ctx, batchingWindow) {
			return
		}
		b, err := poller.Poll(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			fmt.Fprintf(s.cfg.Logs, "poller: %v\n", err)
			continue
		}
		if b != nil {
			fmt.Fprintf(s.cfg.Progress, "      [S3 → SQS → invalidate] a batch of %d S3 event messages, %d left for retry\n", len(b.IDs), len(b.Failed))
			s.invalidateEdge(ctx)
		}
	}
}

// invalidateEdge applies the distribution's invalidations the edge has not
// seen yet (those the invalidate function created in moto) to the edge's
// cache, as CloudFront would.
func (s *Stack) invalidateEdge(ctx context.Context) {
	invs, err := s.aws.Invalidations(ctx)
	if err != nil {
		fmt.Fprintf(s.cfg.Logs, "edge invalidations: %v\n", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.edge == nil {
		return
	}
	if s.applied == nil {
		s.applied = map[string]bool{}
	}
	for _, inv := range invs {
		if !s.applied[inv.ID] {
			s.applied[inv.ID] = true
			s.edge.Invalidate(inv.Paths...)
		}
	}
}

// queued reports whether the queue holds visible messages.
func (s *Stack) queued(ctx context.Context) (bool, error) {
	out, err := s.aws.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(s.aws.Queue.URL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages},
	})
	if err != nil {
		return false, fmt.Errorf("queue %s: %w", s.aws.Queue.URL, err)
	}
	return out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)] != "0", nil
}

// sleep waits for d and reports whether ctx is still alive.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// writeTourCSS writes the extra static file the tour changes.
func writeTourCSS(dir, note string) error {
	css := fmt.Sprintf("/* djfront tour: %s at %s */\nbody { border-top: 4px solid #0b7; }\n", note, time.Now().UTC().Format(time.RFC3339Nano))
	if err := os.WriteFile(filepath.Join(dir, "tour", "banner.css"), []byte(css), 0o644); err != nil {
		return fmt.Errorf("tour static file: %w", err)
	}
	return nil
}
