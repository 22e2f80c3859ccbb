package intake

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/xuri/excelize/v2"
)

// benchCSV builds a registration CSV of n rows with the variety partners
// send and values that differ from row to row as real ones do: Solar
// Hijri and Gregorian dates in several forms, Afghan phones written four
// ways (one row in twenty a foreign number), several nationalities,
// Persian-script names.
func benchCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString(hdr)
	given := []string{"Abdul Rahman", "Zahra", "Mohammad Nabi", "Gul Ahmad", "Malalai", "Farid", "Shabnam", "Ahmad Shah"}
	family := []string{"Rahimi", "Ahmadzai", "Popal", "Karimi", "Noori", "Sultani", "Hakimi"}
	native := []string{"عبدالرحمن رحیمی", "زهرا احمدزی", "محمد نبی", ""}
	nats := []string{"Afghan", "AF", "Afghan; American", "AF/US", "Afghanistan", ""}
	sexes := []string{"M", "F", "male", "female", "مرد", "زن", ""}
	cats := []string{"siv_applicant", "SIV applicant", "dual national", "citizen", "refugee_referral", ""}
	months := []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	for i := range n {
		d, m := i%28+1, i%12+1
		var dob string
		switch i % 6 {
		case 0:
			dob = fmt.Sprintf("%d/%02d/%02d", 1330+i%80, m, d)
		case 1:
			dob = fmt.Sprintf("%d-%02d-%02d", 1950+i%70, m, d)
		case 2:
			dob = fmt.Sprintf("%02d/%02d/%d", d+(i%3)*0, m, 1950+i%70)
		case 3:
			dob = fmt.Sprintf("%d %s %d", d, months[m-1], 1950+i%70)
		case 4:
			dob = fmt.Sprint(1330 + i%80)
		}
		var phone string
		num := 700000000 + i*37%100000000
		switch i % 20 {
		case 0:
			phone = fmt.Sprintf("+44 20 7946 %04d", i%10000)
		case 1, 5, 9:
			phone = fmt.Sprintf("+93 %d", num)
		case 2, 6:
			phone = fmt.Sprintf("0093 %d", num)
		case 3:
			phone = fmt.Sprintf("0%d; +93 %d", num, num+1)
		case 4:
			phone = ""
		default:
			phone = fmt.Sprintf("0%03d %03d %03d", num/1000000, num/1000%1000, num%1000)
		}
		fmt.Fprintf(&b, "ngo-%d,R%07d,C%06d,%s,%s,%s,%s,\"%s, %s\",%s,%s,%s,Kabul,%s,P%07d,1399-0101-%05d,%s,p%d@example.org,%s\n",
			i%5, i, i/4, []string{"principal", "spouse", "child", "child"}[i%4],
			given[i%len(given)], family[i%len(family)], given[(i+3)%len(given)],
			family[i%len(family)], given[i%len(given)], native[i%len(native)],
			sexes[i%len(sexes)], dob, nats[i%len(nats)], i, i%100000,
			phone, i, cats[i%len(cats)])
	}
	return b.Bytes()
}

func TestBenchCSVIsClean(t *testing.T) {
	res := readString(t, string(benchCSV(1000)), Options{})
	if res.Rows != 1000 || len(res.Records) != 1000 {
		t.Fatalf("rows %d records %d rejects %v", res.Rows, len(res.Records), res.Rejected[:min(3, len(res.Rejected))])
	}
}

// BenchmarkReadCSV reads 100,000 registration rows: the import goal is
// under 10 s for the whole import with the database, so parsing must stay
// well under 1 s.
var benchRows = 100_000

func BenchmarkReadCSV(b *testing.B) {
	data := benchCSV(benchRows)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := Read(bytes.NewReader(data), "bench.csv", FormatCSV, Options{})
		if err != nil || len(res.Records) != benchRows {
			b.Fatalf("%v, %d records", err, len(res.Records))
		}
	}
}

// benchXLSX writes the rows of benchCSV(n) as a workbook.
func benchXLSX(b *testing.B, n int) []byte {
	b.Helper()
	res, err := Read(bytes.NewReader(benchCSV(n)), "bench.csv", FormatCSV, Options{})
	if err != nil {
		b.Fatal(err)
	}
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	row := make([]any, len(Header))
	for i, h := range Header {
		row[i] = h
	}
	if err := sw.SetRow("A1", row); err != nil {
		b.Fatal(err)
	}
	for i, r := range res.Records {
		for j, v := range r.Raw {
			row[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkReadXLSX reads a 20,000-row workbook (a large partner sheet).
func BenchmarkReadXLSX(b *testing.B) {
	const n = 20_000
	data := benchXLSX(b, n)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := Read(bytes.NewReader(data), "bench.xlsx", FormatXLSX, Options{})
		if err != nil || len(res.Records) != n {
			b.Fatalf("%v, %d records", err, len(res.Records))
		}
	}
}
