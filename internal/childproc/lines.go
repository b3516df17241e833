package childproc

import (
	"bytes"
	"io"
	"sync"
)

// maxLine bounds a line LineWriter holds back; a longer one is written in
// pieces of this size.
const maxLine = 64 << 10

// LineWriter writes whole lines to w, each prefixed with prefix, in one Write
// per line, so that a child's output and its parent's own log lines never
// interleave mid-line (Lambda turns each line of a function's output into a
// log event). Close writes a last, unterminated line. It is safe for
// concurrent use.
type LineWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix []byte
	buf    []byte
}

// NewLineWriter returns a LineWriter writing to w.
func NewLineWriter(w io.Writer, prefix string) *LineWriter {
	return &LineWriter{w: w, prefix: []byte(prefix)}
}

// Write buffers p and writes every line it completes.
func (l *LineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		var take int
		switch i := bytes.IndexByte(p, '\n'); {
		case i >= 0 && len(l.buf)+i < maxLine:
			take = i + 1 // a whole line
		case i < 0 && len(l.buf)+len(p) < maxLine:
			l.buf = append(l.buf, p...) // the line goes on in a later Write
			return n, nil
		default:
			take = maxLine - 1 - len(l.buf) // a full piece of a long line
		}
		l.buf = append(l.buf, p[:take]...)
		p = p[take:]
		if l.buf[len(l.buf)-1] != '\n' {
			l.buf = append(l.buf, '\n')
		}
		if err := l.flush(); err != nil {
			return n - len(p), err
		}
	}
	return n, nil
}

// Close writes what is left of an unterminated line. It does not close w.
func (l *LineWriter) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) == 0 {
		return nil
	}
	l.buf = append(l.buf, '\n')
	return l.flush()
}

func (l *LineWriter) flush() error {
	line := append(append(make([]byte, 0, len(l.prefix)+len(l.buf)), l.prefix...), l.buf...)
	l.buf = l.buf[:0]
	_, err := l.w.Write(line)
	return err
}
