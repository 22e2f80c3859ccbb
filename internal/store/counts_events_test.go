package store

import (
	"testing"

	"muster"
)

// Which events empty Status's cache: reads and sign-ins (most events)
// must not, movement must not touch the registry counts, and anything
// unknown must recount.
func TestCountsEvents(t *testing.T) {
	cases := []struct {
		typ              string
		counts, registry bool
	}{
		{muster.EventRead, false, false},
		{"person.search", false, false},
		{"case.read", false, false},
		{muster.EventLogin, false, false},
		{"user.logout", false, false},
		{muster.EventExport, false, false},
		{"resolve.review_queued", false, false},
		{muster.EventStage, true, false},
		{muster.EventCheckIn, true, false},
		{EventCalled, true, false},
		{EventBoarded, true, false},
		{EventReviewDecided, true, false},
		{muster.EventImported, true, true},
		{muster.EventUpdated, true, true},
		{muster.EventMerged, true, true},
		{muster.EventSplit, true, true},
		{muster.EventHit, true, true},
		{muster.EventListLoaded, true, true},
		{muster.EventPurge, true, true},
		{"retention.purged", true, true},
		{"some.future_event", true, true},
	}
	for _, c := range cases {
		if got := countsEvent(c.typ); got != c.counts {
			t.Errorf("countsEvent(%q) = %v, want %v", c.typ, got, c.counts)
		}
		if got := registryEvent(c.typ); got != c.registry {
			t.Errorf("registryEvent(%q) = %v, want %v", c.typ, got, c.registry)
		}
	}
}
