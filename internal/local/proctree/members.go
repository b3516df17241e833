package proctree

// Members returns the live processes whose initial environment holds marker
// (a KEY=VALUE unique to one execution environment, as KillSandbox takes
// it): every process of the environment, wherever it was reparented.
// Zombies are left out. It reads /proc, so it finds nothing off Linux.
func Members(marker string) []int {
	var out []int
	for _, pid := range listPids() {
		if hasEnv(pid, marker) && !isZombie(pid) {
			out = append(out, pid)
		}
	}
	return out
}
