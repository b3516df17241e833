package main

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(100 - i) // 100..1, unsorted
	}
	for _, tt := range []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one sample", []time.Duration{7}, 99, 7},
		{"p50 of 1..100", hundred, 50, 50},
		{"p99 of 1..100", hundred, 99, 99},
		{"p100 of 1..100", hundred, 100, 100},
		{"p99 of 10 is the largest", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 99, 10},
		{"p50 of 3", []time.Duration{30, 10, 20}, 50, 20},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.samples, tt.p); got != tt.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tt.samples, tt.p, got, tt.want)
			}
		})
	}
}

func TestMedianAndPairedRatio(t *testing.T) {
	for _, tt := range []struct {
		name      string
		a, b      []time.Duration
		wantMed   time.Duration
		wantRatio float64
	}{
		{"odd", []time.Duration{3, 1, 2}, []time.Duration{3, 1, 1}, 2, 1},
		{"even: mean of the middle two", []time.Duration{4, 1, 3, 2}, []time.Duration{2, 2, 2, 2}, 2, 1.25},
		// Paired: each round's ratio, not the ratio of the medians (2/1.5).
		{"paired per round", []time.Duration{2, 4, 2}, []time.Duration{1, 2, 4}, 2, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.a); got != tt.wantMed {
				t.Errorf("median(%v) = %v, want %v", tt.a, got, tt.wantMed)
			}
			if got := pairedRatio(tt.a, tt.b); got != tt.wantRatio {
				t.Errorf("pairedRatio(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.wantRatio)
			}
		})
	}
}

func TestAddFlags(t *testing.T) {
	got := addFlags(baselineCommand, " --preload ")
	want := "exec python3 -m gunicorn --bind 127.0.0.1:$PORT --workers 1 --threads 2 --timeout 0 --preload demo.wsgi:application"
	if got != want {
		t.Errorf("addFlags = %q, want %q", got, want)
	}
}
