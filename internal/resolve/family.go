package resolve

import (
	"math"
	"slices"
)

// Families are evidence too. Records in groups (the members of one case
// from one source) arrive as families: when two members or more of two
// cases from different sources match each other, the cases are one family
// registered twice, which supports every member pair across them (the
// child whose name was misspelt and whose birth year alone was given);
// when a single pair links two cases of several members each and nothing
// else does, that pair is suspect (a namesake: one shared "Mohammad
// Karim" born in 1980 is common, a shared family is not).
//
// The adjustment is on the log2 odds, per pair of groups, computed from
// the pairs that reach the merge threshold on their own fields:
//   - every pair across two groups joined by strong pairs of at least two
//     distinct members on each side starts from the prior of the family,
//     not the population's: a member of one is one of the n members of the
//     other (odds 1 to n-1), where two records drawn from the whole
//     registry match with odds of about 1 to 1,500 (the bonus is the
//     difference; Options.FamilyBonus overrides it);
//   - a pair under certainty (familyCertain) that is the only strong link
//     between two groups of two members or more is held just under the
//     merge threshold: not merged by the engine, sent to a reviewer.
//
// Clustering still keeps two members of one group apart (a group is a
// cannot-link), so a bonus cannot fold two siblings of one case into one
// person of the other.

// familyCertain is the match probability from which a lone pair is not
// suspect: its own fields settle it.
const familyCertain = 0.99

// familyEvidence holds, per pair of groups, what was seen.
type familyEvidence struct {
	size  []int32 // members per group id
	links map[uint64]*groupLink
	bonus float64 // fixed bonus (Options.FamilyBonus), or 0
	prior float64 // the population's log2 prior odds
	minW  float64
	certW float64
}

type groupLink struct {
	strong   int   // strong pairs across the two groups
	a, b     int32 // the records of the first strong pair, each oriented to its group
	distinct bool  // two strong pairs with distinct members on both sides
}

func groupPair(ga, gb int32) uint64 {
	if ga > gb {
		ga, gb = gb, ga
	}
	return uint64(uint32(ga))<<32 | uint64(uint32(gb))
}

// newFamilyEvidence scores the candidate pairs' groups. weight(k) is pair
// k's log2 odds before any family evidence, and ok(k) whether it may
// merge at all.
func (r *Result) newFamilyEvidence(pairs []uint64, weight func(k int) float64, ok func(k int) bool, minW float64) *familyEvidence {
	fe := &familyEvidence{links: map[uint64]*groupLink{},
		bonus: r.opt.FamilyBonus, prior: r.prior, minW: minW, certW: math.Log2(familyCertain / (1 - familyCertain))}
	if r.opt.NoFamily {
		return fe
	}
	d := r.d
	fe.size = make([]int32, len(d.groups))
	for _, g := range d.Group {
		if g >= 0 {
			fe.size[g]++
		}
	}
	for k, p := range pairs {
		if !ok(k) || weight(k) < minW {
			continue
		}
		i, j := unpair(p)
		fe.note(d, i, j)
	}
	return fe
}

// note counts records i and j, a pair that reaches the merge threshold on
// its own fields, as a strong link between their groups. Pairs are noted
// in pairOf order, which decides the first pair each later one is checked
// against for distinct members.
func (fe *familyEvidence) note(d *Data, i, j int32) {
	gi, gj := d.Group[i], d.Group[j]
	if gi < 0 || gj < 0 || gi == gj {
		return
	}
	if gi > gj {
		i, j = j, i
	}
	key := groupPair(gi, gj)
	l := fe.links[key]
	if l == nil {
		fe.links[key] = &groupLink{strong: 1, a: i, b: j}
		return
	}
	l.strong++
	if i != l.a && j != l.b {
		l.distinct = true
	}
}

// adjust returns the family evidence for records i and j whose own log2
// odds are w, and why ("" for none).
func (fe *familyEvidence) adjust(d *Data, i, j int32, w float64) (float64, string) {
	if fe == nil || len(fe.links) == 0 {
		return 0, ""
	}
	gi, gj := d.Group[i], d.Group[j]
	if gi < 0 || gj < 0 || gi == gj {
		return 0, ""
	}
	l := fe.links[groupPair(gi, gj)]
	switch {
	case l != nil && l.distinct:
		if fe.bonus != 0 {
			return fe.bonus, "other members of the two cases match"
		}
		n := max(fe.size[gi], fe.size[gj], 2)
		return max(0, -math.Log2(float64(n-1))-fe.prior), "other members of the two cases match"
	case (l == nil || l.strong == 1) && fe.size[gi] >= 2 && fe.size[gj] >= 2 && w < fe.certW && w >= fe.minW:
		return fe.minW - 0.5 - w, "the only match between two families: held for a reviewer"
	}
	return 0, ""
}

// maxFamilyCross bounds the member pairs two matched groups are compared
// in: groups are cases of a few people, not lists.
const maxFamilyCross = 144

// crossPairs returns the member pairs of groups joined as one family that
// blocking did not pair (a child given with neither birth date nor
// father's name shares no blocking key with its other record); sorted
// lists the candidate pairs already scored.
func (fe *familyEvidence) crossPairs(d *Data, sorted []uint64) []uint64 {
	if fe == nil || len(fe.links) == 0 {
		return nil
	}
	var joined []uint64
	for k, l := range fe.links {
		if l.distinct {
			joined = append(joined, k)
		}
	}
	if len(joined) == 0 {
		return nil
	}
	slices.Sort(joined)
	want := map[int32]bool{}
	for _, k := range joined {
		want[int32(k>>32)], want[int32(uint32(k))] = true, true
	}
	members := map[int32][]int32{}
	for i, g := range d.Group {
		if want[g] {
			members[g] = append(members[g], int32(i))
		}
	}
	var out []uint64
	for _, k := range joined {
		a, b := members[int32(k>>32)], members[int32(uint32(k))]
		if len(a)*len(b) > maxFamilyCross {
			continue
		}
		for _, x := range a {
			for _, y := range b {
				p := pairOf(x, y)
				if _, found := slices.BinarySearch(sorted, p); !found {
					out = append(out, p)
				}
			}
		}
	}
	return out
}
