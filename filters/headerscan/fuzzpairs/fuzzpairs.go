// Package fuzzpairs builds request header pairs from a fuzz target's bytes, for the fuzz targets that hold a
// shortcut over headers to the decision it stands for (synthetic's and shadowtag's QuietOn).
package fuzzpairs

// FromPicks returns one header a pair of bytes of picks: the first picks its name from names, the second its
// value from values; a pick beyond a pool takes name or value, the fuzzed ones.
func FromPicks(picks []byte, names, values []string, name, value string) [][2]string {
	pairs := make([][2]string, 0, len(picks)/2+1)
	for i := 0; i+1 < len(picks); i += 2 {
		n, v := name, value
		if j := int(picks[i]) % (len(names) + 1); j < len(names) {
			n = names[j]
		}
		if j := int(picks[i+1]) % (len(values) + 1); j < len(values) {
			v = values[j]
		}
		pairs = append(pairs, [2]string{n, v})
	}
	return pairs
}
