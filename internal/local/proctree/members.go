package proctree

// Members returns the live processes whose initial environment holds marker
// (a KEY=VALUE unique to one execution environment, as KillSandbox takes
// it): every process of the environment, wherever it was reparented. A
// zombie has no environment left to read, so it is never listed. It reads
// /proc, so it finds nothing off Linux.
func Members(marker string) []int {
	var out []int
	for _, pid := range listPids() {
		if hasEnv(pid, marker) {
			out = append(out, pid)
		}
	}
	return out
}
