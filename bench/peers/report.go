package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// writeTable writes the results as two Markdown tables: the figures, and
// each figure's ratio to the best peer's (the lowest among the peers, per
// column; the cold start's ratios are the medians of the ratios within a
// round).
func writeTable(w io.Writer, cs []contender, res *results) error {
	var sb strings.Builder
	sb.WriteString("| | cold start, median | its CPU time | page p50 / p99 | 1 MiB download p50 / p99 | form POST p50 / p99 | peak RSS, sum | PSS, sum | processes |\n")
	sb.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for i, c := range cs {
		fmt.Fprintf(&sb, "| %s | %.0f ms | %.0f ms |", c.name, ms(median(res.cold[i])), ms(median(res.coldCPU[i])))
		for _, samples := range res.warm[i] {
			fmt.Fprintf(&sb, " %.2f / %.2f ms |", ms(percentile(samples, 50)), ms(percentile(samples, 99)))
		}
		u := medianUsage(res.usage[i])
		fmt.Fprintf(&sb, " %.1f MiB | %.1f MiB | %d |\n", float64(u.peakRSSKiB)/1024, float64(u.pssKiB)/1024, u.procs)
	}
	if ratios := ratioTable(cs, res); ratios != "" {
		sb.WriteString("\nRatio to the best peer (lower is better; 1.00 is the best peer):\n\n")
		sb.WriteString(ratios)
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

// ratioTable returns the ratios' table, or "" without a peer.
func ratioTable(cs []contender, res *results) string {
	var peers []int
	for i, c := range cs {
		if c.peer {
			peers = append(peers, i)
		}
	}
	if len(peers) == 0 {
		return ""
	}
	best := func(value func(i int) float64) float64 {
		v := value(peers[0])
		for _, i := range peers[1:] {
			v = min(v, value(i))
		}
		return v
	}
	bestOf := func(d [][]time.Duration) int {
		return slices.MinFunc(peers, func(a, b int) int { return int(median(d[a]) - median(d[b])) })
	}
	coldBest, cpuBest := bestOf(res.cold), bestOf(res.coldCPU)
	var sb strings.Builder
	sb.WriteString("| | cold start | its CPU time | page p50 | page p99 | 1 MiB p50 | 1 MiB p99 | POST p50 | POST p99 | peak RSS | PSS |\n")
	sb.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for i, c := range cs {
		fmt.Fprintf(&sb, "| %s | %.2f | %.2f |", c.name, pairedRatio(res.cold[i], res.cold[coldBest]),
			pairedRatio(res.coldCPU[i], res.coldCPU[cpuBest]))
		for k := range res.warm[i] {
			for _, p := range []float64{50, 99} {
				v := func(j int) float64 { return float64(percentile(res.warm[j][k], p)) }
				fmt.Fprintf(&sb, " %.2f |", v(i)/best(v))
			}
		}
		rss := func(j int) float64 { return float64(medianUsage(res.usage[j]).peakRSSKiB) }
		pss := func(j int) float64 { return float64(medianUsage(res.usage[j]).pssKiB) }
		fmt.Fprintf(&sb, " %.2f | %.2f |\n", rss(i)/best(rss), pss(i)/best(pss))
	}
	return sb.String()
}

// pairedRatio is the median of a[r]/b[r] over the rounds r.
func pairedRatio(a, b []time.Duration) float64 {
	r := make([]float64, len(a))
	for i := range a {
		r[i] = float64(a[i]) / float64(b[i])
	}
	slices.Sort(r)
	return medianSorted(r)
}

// median returns the median of d (the mean of the middle two for an even
// count).
func median(d []time.Duration) time.Duration {
	f := make([]float64, len(d))
	for i, x := range d {
		f[i] = float64(x)
	}
	slices.Sort(f)
	return time.Duration(medianSorted(f))
}

func medianSorted(f []float64) float64 {
	n := len(f)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return f[n/2]
	}
	return (f[n/2-1] + f[n/2]) / 2
}

// percentile returns the p-th percentile of d by the nearest-rank method:
// the smallest sample that at least p% of the samples do not exceed.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	rank := int(math.Ceil(float64(len(s)) * p / 100))
	return s[min(max(rank, 1), len(s))-1]
}

// medianUsage returns each field's median over the rounds.
func medianUsage(us []usage) usage {
	field := func(get func(usage) int) int {
		d := make([]time.Duration, len(us))
		for i, u := range us {
			d[i] = time.Duration(get(u))
		}
		return int(median(d))
	}
	return usage{
		peakRSSKiB: field(func(u usage) int { return u.peakRSSKiB }),
		pssKiB:     field(func(u usage) int { return u.pssKiB }),
		procs:      field(func(u usage) int { return u.procs }),
	}
}
