package pass

import (
	"html/template"
	"io"
	"time"
)

// PageData is what the printable pass shows besides the code. It holds no
// names: a photographed page forwarded around is worth nothing without the
// documents, and gives away nobody.
type PageData struct {
	CaseRef string
	Gate    string
	Start   time.Time
	End     time.Time
	People  int
	Loc     *time.Location // times are shown here; UTC when nil
}

var pageTmpl = template.Must(template.New("pass").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pass {{.CaseRef}}</title>
<style>
body{font-family:sans-serif;max-width:18cm;margin:1cm auto}
.qr{width:9cm;height:9cm}
h1{font-size:1.6em;margin:0 0 .3em}
dl{display:grid;grid-template-columns:auto 1fr;gap:.2em 1em;font-size:1.2em}
dt{font-weight:bold}
.rtl{direction:rtl;text-align:right}
@media print{body{margin:0}}
</style></head><body>
<h1>Call-forward pass</h1>
<div class="qr">{{.SVG}}</div>
<dl>
<dt>Case</dt><dd>{{.CaseRef}}</dd>
<dt>Gate</dt><dd>{{.Gate}}</dd>
<dt>Date</dt><dd>{{.Date}}</dd>
<dt>Time</dt><dd>{{.From}} to {{.To}} ({{.Zone}})</dd>
<dt>People</dt><dd>{{.People}}</dd>
</dl>
<p>Bring the passport or tazkira of every person in the case. The pass admits only those documents, once each, at this gate, at this time.</p>
<p class="rtl" lang="prs">پاسپورت یا تذکرهٔ همه اعضای پرونده را با خود بیاورید. این برگه فقط همین اسناد را، هر کدام یک بار، در همین دروازه و همین وقت می‌پذیرد.</p>
<p class="rtl" lang="ps">د دوسیې د ټولو غړو پاسپورټ یا تذکره له ځانه سره راوړئ. دا پاڼه یوازې همدا اسناد، هر یو یو ځل، په همدې دروازه او همدې وخت مني.</p>
</body></html>
`))

// WritePage writes a printable HTML page for token: the QR code as inline
// SVG (sharp on any printer) and the case, gate and window in words.
func WritePage(w io.Writer, token string, d PageData) error {
	svg, err := QRSVG(token, 340)
	if err != nil {
		return err
	}
	loc := d.Loc
	if loc == nil {
		loc = time.UTC
	}
	s, e := d.Start.In(loc), d.End.In(loc)
	return pageTmpl.Execute(w, map[string]any{
		"SVG":     template.HTML(svg), // generated above from the bitmap: no input reaches it
		"CaseRef": d.CaseRef,
		"Gate":    d.Gate,
		"Date":    s.Format("Mon 2 Jan 2006"),
		"From":    s.Format("15:04"),
		"To":      e.Format("15:04"),
		"Zone":    s.Format("MST"),
		"People":  d.People,
	})
}
