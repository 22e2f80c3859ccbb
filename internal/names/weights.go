package names

// commonTokens are name words so frequent among Afghan and Arabic names
// that meeting on them says little; the weights are used when no Freq was
// built from the lists and the registry. Keyed by the token's key; the
// table is turned into skeleton keys at start so that every spelling of
// the word gets the weight.
var commonTokens = map[string]float64{
	"mohammad": 0.2, "ahmad": 0.35, "ali": 0.35, "abdul": 0.3, "abd": 0.3, "khan": 0.15, "jan": 0.15,
	"gul": 0.4, "hasan": 0.45, "husain": 0.45, "mahmood": 0.5, "rahman": 0.5, "abdulrahman": 0.55,
	"abdullah": 0.45, "rahim": 0.55, "karim": 0.55, "noor": 0.45, "shah": 0.45, "mir": 0.5,
	"sayed": 0.3, "agha": 0.45, "ullah": 0.4, "omar": 0.5, "yusuf": 0.55, "ibrahim": 0.55,
	"ismail": 0.6, "mustafa": 0.6, "ghulam": 0.45, "habib": 0.6, "hamid": 0.6, "bibi": 0.2,
	"begum": 0.25, "abu": 0.35, "bin": 0.2, "din": 0.4, "haq": 0.45, "islam": 0.5,
	"fatima": 0.5, "khalid": 0.6, "osman": 0.6, "malik": 0.55, "muhammadi": 0.6,
}

var commonSkel = func() map[string]float64 {
	m := make(map[string]float64, len(commonTokens))
	for k, w := range commonTokens {
		c := makeCode(k)
		s := weightKey(string(skeleton(c.code[:c.n], nil)), k)
		if old, ok := m[s]; !ok || w < old {
			m[s] = w
		}
	}
	return m
}()

// weightKey is what token weights are counted and looked up by: the
// consonant skeleton, so that spelling variants share a weight, except for
// short skeletons (ali, wali, ala all have "l"), where the key itself.
func weightKey(skel, key string) string {
	if len(skel) >= 3 {
		return skel
	}
	return "=" + key
}

// defaultWeight is the built-in weight of a token: common tokens weigh
// little, single letters little, the rest 1.
func defaultWeight(skel, key string) float64 {
	if orgWords[key] {
		return 0.1
	}
	if w, ok := commonSkel[weightKey(skel, key)]; ok {
		return w
	}
	if len(key) <= 1 {
		return 0.3
	}
	return 1
}
