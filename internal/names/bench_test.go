package names

import (
	"testing"
)

var benchPairs = [][2]string{
	{"Haji Mohammad Karim Rahimi Ahmadzai", "Muhammad Kareem Rahimi"},
	{"Abdul Rahman Stanekzai", "عبدالرحمن ستانکزی"},
	{"Gul Agha Ishakzai", "Ahmad Shah Massoud"},
	{"Sirajuddin Haqqani", "Jalaluddin Haqqani"},
	{"Mohammad Omar", "Mullah Mohammad Omar Akhund"},
	{"Noor Ahmad s/o Abdul Ghafar", "Nur Ahmed Ghafari"},
	{"Zia ul Haq Amarkhel", "Ziaulhaq Amarkhil"},
	{"Fatima Bibi", "Fatema Jan"},
}

// BenchmarkCompare measures Score and Compare of prepared names: the
// screening inner loop.
func BenchmarkCompare(b *testing.B) {
	var m Matcher
	pa := make([]*Prepared, len(benchPairs))
	pb := make([]*Prepared, len(benchPairs))
	for i, p := range benchPairs {
		pa[i], pb[i] = Prepare(p[0]), Prepare(p[1])
	}
	b.Run("Score", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			m.Score(pa[i], pb[i])
			i++
			if i == len(pa) {
				i = 0
			}
		}
	})
	b.Run("Compare", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			m.Compare(pa[i], pb[i])
			i++
			if i == len(pa) {
				i = 0
			}
		}
	})
	f := NewFreq()
	for _, p := range benchPairs {
		f.Add(p[0])
		f.Add(p[1])
	}
	mf := Matcher{Freq: f}
	b.Run("ScoreFreq", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			mf.Score(pa[i], pb[i])
			i++
			if i == len(pa) {
				i = 0
			}
		}
	})
}

// BenchmarkCompareList compares names of the UN list with each other: in
// screening most compared pairs are different people.
func BenchmarkCompareList(b *testing.B) {
	rows := readTSV(b, "testdata/un-sc-arabic-latin.tsv")
	var ps []*Prepared
	for _, r := range rows {
		ps = append(ps, Prepare(r[1]), Prepare(r[2]))
	}
	var m Matcher
	b.ReportAllocs()
	i, j := 0, 1
	for b.Loop() {
		m.Compare(ps[i], ps[j])
		j++
		if j == len(ps) {
			i = (i + 1) % len(ps)
			j = 0
		}
	}
}

func BenchmarkPrepare(b *testing.B) {
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		Prepare(benchPairs[i/2][i%2])
		i++
		if i == 2*len(benchPairs) {
			i = 0
		}
	}
}

func BenchmarkToLatin(b *testing.B) {
	words := []string{"محمد", "عبدالرحمن", "ستانکزی", "حبیب‌الله", "Mohammad Karim", "گلبدین"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ToLatin(words[i])
		i++
		if i == len(words) {
			i = 0
		}
	}
}

func BenchmarkKeys(b *testing.B) {
	p := Prepare("Haji Mohammad Karim Rahimi Ahmadzai")
	b.ReportAllocs()
	for b.Loop() {
		Keys(p)
	}
}
