package schedule

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/template"
	"time"

	"muster/internal/intake"
)

// Notice is the call-forward message for one case. muster sends nothing over
// the network: WriteNotices renders notices to CSV for the operation's
// SMS/WhatsApp gateway, and the UI shows the same text.
type Notice struct {
	CaseID  int64
	CaseRef string   // muster's case number, the one the gate asks for
	Phones  []string // E.164; one CSV row each
	Lang    string   // en, prs (Dari; fa and fa-AF accepted), ps (Pashto)
	Gate    string
	Start   time.Time
	End     time.Time
	People  int
}

// Languages, as ISO 639-3 (Dari has no ISO 639-1 code of its own).
const (
	LangEnglish = "en"
	LangDari    = "prs"
	LangPashto  = "ps"
)

// DefaultTemplates are the call-forward messages. They say only what the
// person needs: where, when, how many, what to bring, and not to come at
// another time or forward the message (a forwarded message is what filled
// the gates in 2021). They carry no name, so a lost phone gives away less.
//
// The Dari and Pashto texts were written for this package and must be
// checked by native speakers on the operation before use.
var DefaultTemplates = map[string]string{
	LangEnglish: "MUSTER {{.Ref}}: your case ({{.People}} people) is called to {{.Gate}} gate on {{.Date}} between {{.Start}} and {{.End}} (Kabul time). " +
		"Bring the passports or tazkiras of everyone in the case and this message. Do not come at another time or to another gate. Do not forward this message.",
	LangDari: "MUSTER {{.Ref}}: پرونده شما ({{.People}} نفر) برای دروازه {{.Gate}} در تاریخ {{.Date}} بین ساعت {{.Start}} و {{.End}} (به وقت کابل) فراخوانده شده است. " +
		"پاسپورت یا تذکرهٔ همه اعضای پرونده و این پیام را با خود بیاورید. در وقت دیگر یا به دروازهٔ دیگر نیایید. این پیام را برای دیگران نفرستید.",
	LangPashto: "MUSTER {{.Ref}}: ستاسو دوسیه ({{.People}} تنه) د {{.Date}} نېټې د {{.Start}} او {{.End}} بجو ترمنځ (د کابل په وخت) {{.Gate}} دروازې ته رابلل شوې ده. " +
		"د دوسیې د ټولو غړو پاسپورټونه یا تذکرې او دا پیغام له ځانه سره راوړئ. په بل وخت یا بلې دروازې ته مه راځئ. دا پیغام بل چا ته مه لېږئ.",
}

// Messages renders notices from templates keyed by language. Parse the
// templates once with NewMessages; a notice in a language without a template
// gets English.
type Messages struct {
	tmpl map[string]*template.Template
	loc  *time.Location
}

// Kabul is Afghanistan's time zone (UTC+4:30, no daylight saving), fixed so
// that rendering does not depend on the machine's zone database.
var Kabul = time.FixedZone("AFT", 4*3600+1800)

// NewMessages parses templates (DefaultTemplates when nil); times are shown
// in loc (Kabul when nil). Fields: .Ref .People .Gate .Date .Start .End.
func NewMessages(templates map[string]string, loc *time.Location) (*Messages, error) {
	if templates == nil {
		templates = DefaultTemplates
	}
	if loc == nil {
		loc = Kabul
	}
	if _, ok := templates[LangEnglish]; !ok {
		return nil, fmt.Errorf("schedule: messages need an English template as the fallback")
	}
	m := &Messages{tmpl: map[string]*template.Template{}, loc: loc}
	for lang, text := range templates {
		t, err := template.New(lang).Option("missingkey=error").Parse(text)
		if err != nil {
			return nil, fmt.Errorf("schedule: %s message template: %w", lang, err)
		}
		// Render once with sample data so a misspelt field fails now,
		// not in the middle of an export.
		if err := t.Execute(io.Discard, messageData{}); err != nil {
			return nil, fmt.Errorf("schedule: %s message template: %w", lang, err)
		}
		m.tmpl[lang] = t
	}
	return m, nil
}

type messageData struct {
	Ref, People, Gate, Date, Start, End string
}

// normLang maps the codes partners use to ours.
func normLang(l string) string {
	switch strings.ToLower(strings.TrimSpace(l)) {
	case "prs", "fa", "fa-af", "dari", "per", "fas":
		return LangDari
	case "ps", "pus", "pashto", "ps-af":
		return LangPashto
	}
	return LangEnglish
}

// Render returns the message for n and the language used.
func (m *Messages) Render(n Notice) (string, string, error) {
	lang := normLang(n.Lang)
	t, ok := m.tmpl[lang]
	if !ok {
		lang, t = LangEnglish, m.tmpl[LangEnglish]
	}
	start, end := n.Start.In(m.loc), n.End.In(m.loc)
	d := messageData{
		Ref:    n.CaseRef,
		People: strconv.Itoa(n.People),
		Gate:   n.Gate,
		Date:   start.Format("2006-01-02"),
		Start:  start.Format("15:04"),
		End:    end.Format("15:04"),
	}
	if lang != LangEnglish {
		// Dari and Pashto readers expect Eastern Arabic-Indic digits in
		// running text and the Solar Hijri calendar, which is
		// Afghanistan's; the case reference stays as typed at the gate.
		// The date takes slashes, as Afghans write it: between these
		// digits a slash keeps year/month/day one left-to-right run in
		// right-to-left text, where hyphens let the bidirectional
		// algorithm reverse the parts (day-month-year shown as a year).
		y, mo, dd, err := intake.GregorianToSolarHijri(start.Year(), int(start.Month()), start.Day())
		if err != nil {
			return "", "", fmt.Errorf("schedule: date of case %d's window: %w", n.CaseID, err)
		}
		d.Date = fmt.Sprintf("%04d/%02d/%02d", y, mo, dd)
		d.People, d.Date, d.Start, d.End = persianDigits(d.People), persianDigits(d.Date), persianDigits(d.Start), persianDigits(d.End)
	}
	var sb strings.Builder
	if err := t.Execute(&sb, d); err != nil {
		return "", "", fmt.Errorf("schedule: rendering message for case %d: %w", n.CaseID, err)
	}
	return sb.String(), lang, nil
}

func persianDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '۰' + (r - '0')
		}
		return r
	}, s)
}

// Segments estimates how many SMS parts a message takes: 160 characters in
// one part (153 per part when split) if every character is in the GSM 7-bit
// basic set, else 70 (67) UTF-16 units. Gateways bill per part.
func Segments(msg string) int {
	units, gsm := 0, true
	for _, r := range msg {
		if !strings.ContainsRune(gsmBasic, r) {
			gsm = false
		}
		if r > 0xFFFF {
			units += 2
		} else {
			units++
		}
	}
	single, multi := 70, 67
	if gsm {
		single, multi = 160, 153
	}
	if units <= single {
		return 1
	}
	return (units + multi - 1) / multi
}

// gsmBasic is the GSM 03.38 basic character set (without the escape table).
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// NoticeHeader is the first row WriteNotices writes.
var NoticeHeader = []string{"case_id", "case_ref", "phone", "language", "message", "segments"}

// WriteNotices writes one CSV row per phone number of each notice, in the
// order given. A notice without a phone produces no row (the UI still shows
// it) and is returned so a caseworker can call the family another way.
func WriteNotices(w io.Writer, m *Messages, notices []Notice) (noPhone []int64, err error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(NoticeHeader); err != nil {
		return nil, err
	}
	for _, n := range notices {
		msg, lang, err := m.Render(n)
		if err != nil {
			return nil, err
		}
		if len(n.Phones) == 0 {
			noPhone = append(noPhone, n.CaseID)
			continue
		}
		for _, p := range n.Phones {
			row := []string{strconv.FormatInt(n.CaseID, 10), n.CaseRef, p, lang, msg, strconv.Itoa(Segments(msg))}
			if err := cw.Write(row); err != nil {
				return nil, err
			}
		}
	}
	cw.Flush()
	return noPhone, cw.Error()
}
