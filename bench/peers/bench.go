package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/djangoserver"
	"github.com/djfront/djfront/internal/local/pyenv"
	"github.com/djfront/djfront/internal/local/runtimeapi"
)

// functionTimeout is every contender's function timeout: far above any
// request here, so that none is cut short.
const functionTimeout = 30 * time.Second

// bench is one run: the app's state, the contenders and the events.
type bench struct {
	o          options
	log        io.Writer
	dir        string // temporary: the database, static root, each sandbox's HOME
	appDir     string // bench/peers/app
	app        *djangoserver.App
	memoryMB   int // the template's AppFunction MemorySize, every contender's
	contenders []contender
	reqs       []request
	starts     int // sandboxes started so far: each gets its own marker and HOME
}

// newBench checks the built parts, prepares the app's database (SQLite:
// the views measured do not query it) and static files, and the events.
func newBench(ctx context.Context, o options, log io.Writer) (*bench, error) {
	root, err := filepath.Abs(o.root)
	if err != nil {
		return nil, err
	}
	o.root = root
	for _, p := range []*string{&o.bootstrap, &o.lwa} {
		if !filepath.IsAbs(*p) {
			*p = filepath.Join(root, *p)
		}
	}
	if err := checkExecutable(o.bootstrap, "make bin/hostforward/bootstrap"); err != nil {
		return nil, err
	}
	if err := checkExecutable(o.lwa, "bash scripts/install-peers.sh"); err != nil {
		return nil, err
	}
	if err := pyenv.Check(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "djfront-peers-")
	if err != nil {
		return nil, err
	}
	b := &bench{o: o, log: log, dir: dir, appDir: filepath.Join(root, "bench", "peers", "app")}
	b.app = djangoserver.New(djangoserver.Config{Root: root, StateDir: dir, AdminPassword: "bench", Env: map[string]string{
		"DATABASE_URL":           "sqlite:///" + filepath.Join(dir, "db.sqlite3"),
		"DJFRONT_HOSTS":          site,
		"DJANGO_SETTINGS_MODULE": "peersbench.settings",
		"PYTHONPATH":             b.appDir + string(filepath.ListSeparator) + filepath.Join(root, "examples", "djangoapp"),
	}})
	for _, args := range [][]string{{"migrate", "--noinput"}, {"collectstatic", "--noinput"}} { // the page links to static files
		if _, err := b.app.Manage(ctx, args...); err != nil {
			b.cleanup()
			return nil, err
		}
	}
	if b.reqs, err = requests(); err != nil {
		b.cleanup()
		return nil, err
	}
	if b.contenders, err = b.lineup(o.variants, o.builds, o.only); err != nil {
		b.cleanup()
		return nil, err
	}
	return b, nil
}

func (b *bench) cleanup() { os.RemoveAll(b.dir) }

// sandbox is one started contender.
type sandbox struct {
	c      contender
	fn     *runtimeapi.Server
	logs   *childproc.Tail
	marker string // KEY=VALUE in the environment of every process of the sandbox
}

// start starts c's execution environment and answers its first request (a
// page): the cold start.
func (b *bench) start(ctx context.Context, c contender) (*sandbox, time.Duration, error) {
	b.starts++
	home := filepath.Join(b.dir, "home", strconv.Itoa(b.starts))
	if err := os.MkdirAll(home, 0o755); err != nil {
		return nil, 0, err
	}
	env, err := c.env()
	if err != nil {
		return nil, 0, err
	}
	s := &sandbox{c: c, logs: childproc.NewTail(1 << 20), marker: "PEERS_SANDBOX=" + strconv.Itoa(b.starts)}
	env = append(env, s.marker, "HOME="+home)
	begin := time.Now()
	s.fn, err = runtimeapi.Start(ctx, runtimeapi.Function{
		Name: "peers", Binary: c.binary, Env: env, Timeout: functionTimeout, MemoryMB: b.memoryMB, Logs: s.logs,
	})
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w\n%s", c.name, err, s.logs)
	}
	init := time.Since(begin)
	first, err := s.invoke(ctx, b.reqs[0])
	if err != nil {
		s.fn.Close()
		return nil, 0, err
	}
	return s, init + first, nil
}

// invoke sends r and checks the response; it returns how long the
// invocation took, the check not counted.
func (s *sandbox) invoke(ctx context.Context, r request) (time.Duration, error) {
	begin := time.Now()
	res, err := s.fn.Invoke(ctx, r.payload)
	took := time.Since(begin)
	if err == nil && res.Error != nil {
		err = res.Error
	}
	if err == nil {
		err = r.check(res.Payload)
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %s: %w\nlogs:\n%s", s.c.name, r.name, err, childproc.LastLines(s.logs.String(), 30))
	}
	return took, nil
}

// results holds every measurement of a run, by contender index.
type results struct {
	cold    [][]time.Duration   // [contender][round]: wall time
	coldCPU [][]time.Duration   // [contender][round]
	warm    [][][]time.Duration // [contender][request kind][sample]
	usage   [][]usage           // [contender][round]
}

// run runs the rounds.
func (b *bench) run(ctx context.Context) (*results, error) {
	n := len(b.contenders)
	res := &results{cold: make([][]time.Duration, n), coldCPU: make([][]time.Duration, n), warm: make([][][]time.Duration, n), usage: make([][]usage, n)}
	for i := range res.warm {
		res.warm[i] = make([][]time.Duration, len(b.reqs))
	}
	for round := range b.o.rounds {
		fmt.Fprintf(b.log, "round %d/%d\n", round+1, b.o.rounds)
		if err := b.round(ctx, round, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// round starts every contender (the order rotated by round), sends the warm
// requests in turn, reads each sandbox's processes and shuts all down.
func (b *bench) round(ctx context.Context, round int, res *results) error {
	n := len(b.contenders)
	order := make([]int, n)
	for i := range order {
		order[i] = (i + round) % n
	}
	boxes := make([]*sandbox, n)
	defer func() {
		for _, s := range boxes {
			if s != nil {
				s.fn.Close()
			}
		}
	}()
	for _, i := range order {
		s, wall, err := b.start(ctx, b.contenders[i])
		if err != nil {
			return err
		}
		boxes[i] = s
		cpu, err := cpuTime(s.marker)
		if err != nil {
			return err
		}
		res.cold[i] = append(res.cold[i], wall)
		res.coldCPU[i] = append(res.coldCPU[i], cpu)
		fmt.Fprintf(b.log, "  %-28s cold start %6.1f ms, CPU %6.1f ms\n", b.contenders[i].name, ms(wall), ms(cpu))
	}
	for range b.o.warm {
		for k, r := range b.reqs {
			for _, i := range order {
				took, err := boxes[i].invoke(ctx, r)
				if err != nil {
					return err
				}
				res.warm[i][k] = append(res.warm[i][k], took)
			}
		}
	}
	for _, i := range order {
		u, err := measureUsage(boxes[i].marker)
		if err != nil {
			return fmt.Errorf("%s: %w", b.contenders[i].name, err)
		}
		res.usage[i] = append(res.usage[i], u)
		fmt.Fprintf(b.log, "  %-28s PSS %s\n", b.contenders[i].name, strings.Join(u.each, ", "))
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
